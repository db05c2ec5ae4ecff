/** Runs the demo Meldebehörde on its own HTTP listener (for the gateway's demo mode, main.ts and tests). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createDemoMeldebehoerde,
  EVIDENCE_PATH,
  type DemoMeldebehoerdeOptions,
} from './create-demo-meldebehoerde.js';
import type { MeldeRegister } from './open-melde-register.js';

export interface StartDemoMeldebehoerdeOptions extends DemoMeldebehoerdeOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1: the demo register is not meant to be reachable from elsewhere. */
  readonly host?: string;
}

export interface RunningDemoMeldebehoerde {
  /** The evidence endpoint, as a provider's Endpoint.url (`http://host:port/evidence`). */
  readonly url: string;
  /** `http://host:port` */
  readonly origin: string;
  readonly port: number;
  readonly register: MeldeRegister;
  /** Stops listening, closes open connections and the register. */
  close(): Promise<void>;
}

/**
 * Starts the demo Meldebehörde (createDemoMeldebehoerde) on `host:port`. Resolves once it listens; rejects with
 * the listen error (EADDRINUSE, …) after closing the register again.
 */
export async function startDemoMeldebehoerde(
  options: StartDemoMeldebehoerdeOptions,
): Promise<RunningDemoMeldebehoerde> {
  const provider = createDemoMeldebehoerde(options);
  const server = createServer(
    { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 65_000 },
    provider.handler,
  );
  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    provider.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url: `${origin}${EVIDENCE_PATH}`,
    origin,
    port,
    register: provider.register,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => {
          provider.close();
          resolve();
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
