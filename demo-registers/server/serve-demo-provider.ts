/**
 * Runs a demo provider backend (the demo Meldebehörde, the demo Standesamt) on its own HTTP listener, for the
 * gateway's demo mode and for tests: the same timeouts as the gateway, loopback by default.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoProvider<R> {
  readonly handler: (request: IncomingMessage, response: ServerResponse) => void;
  readonly register: R;
  close(): void;
}

export interface ListenOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1: a demo register is not meant to be reachable from elsewhere. */
  readonly host?: string;
}

export interface RunningDemoProvider<R> {
  /** The evidence endpoint, as a provider's Endpoint.url (`http://host:port/evidence`). */
  readonly url: string;
  /** `http://host:port` */
  readonly origin: string;
  readonly port: number;
  readonly register: R;
  /** Stops listening, closes open connections and the register. */
  close(): Promise<void>;
}

/**
 * Listens with `provider.handler` on `host:port`. Resolves once it listens; rejects with the listen error
 * (EADDRINUSE, …) after closing the provider's register again.
 */
export async function serveDemoProvider<R>(
  provider: DemoProvider<R>,
  evidencePath: string,
  options: ListenOptions,
): Promise<RunningDemoProvider<R>> {
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
    url: `${origin}${evidencePath}`,
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
