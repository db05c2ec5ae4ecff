/** Runs the demo Standesamt on its own HTTP listener (for the gateway's demo mode, main.ts and tests). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createDemoStandesamt,
  STANDESAMT_EVIDENCE_PATH,
  type DemoStandesamtOptions,
} from './create-demo-standesamt.js';
import type { Geburtenregister } from './open-geburtenregister.js';

export interface StartDemoStandesamtOptions extends DemoStandesamtOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1: the demo register is not meant to be reachable from elsewhere. */
  readonly host?: string;
}

export interface RunningDemoStandesamt {
  /** The evidence endpoint, as a provider's Endpoint.url (`http://host:port/evidence`). */
  readonly url: string;
  /** `http://host:port` */
  readonly origin: string;
  readonly port: number;
  readonly register: Geburtenregister;
  /** Stops listening, closes open connections and the register. */
  close(): Promise<void>;
}

/**
 * Starts the demo Standesamt (createDemoStandesamt) on `host:port`. Resolves once it listens; rejects with the
 * listen error (EADDRINUSE, …) after closing the register again.
 */
export async function startDemoStandesamt(
  options: StartDemoStandesamtOptions,
): Promise<RunningDemoStandesamt> {
  const provider = createDemoStandesamt(options);
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
    url: `${origin}${STANDESAMT_EVIDENCE_PATH}`,
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
