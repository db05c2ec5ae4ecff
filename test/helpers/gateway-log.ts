/**
 * Helpers for tests of the transfer log commands: a store signed with the example gateway key in a data dir,
 * and `oog log …` run in-process (logCommand with captured output; a throw is exit 2, as cli/main.ts does).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSignerFromFiles } from '../../gateway/adapters/files/index.js';
import { SqliteDatabase } from '../../gateway/adapters/sqlite/sqlite-database.js';
import { SqliteTransferLogStore } from '../../gateway/adapters/sqlite/sqlite-transfer-log-store.js';
import { logCommand } from '../../gateway/cli/log-commands.js';
import type { Clock } from '../../gateway/core/ports.js';
import { createTransferLog } from '../../gateway/core/transfer-log/index.js';
import { fromRoot } from '../../gateway/paths.js';

export const GATEWAY_ID = 'oog:demo-gateway';
export const GATEWAY_CERT_FILE = fromRoot('certs-example/participants/oog-demo-gateway.cert.pem');
export const gatewaySigner = loadSignerFromFiles(
  GATEWAY_CERT_FILE,
  fromRoot('certs-example/participants/oog-demo-gateway.key.pem'),
);

export function gatewayPublicKey(): KeyObject {
  return createPublicKey(readFileSync(GATEWAY_CERT_FILE));
}

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `oog log …` in-process and resolves with its exit code and output. */
export async function runLog(args: readonly string[]): Promise<Ran> {
  const lines = { out: [] as string[], err: [] as string[] };
  let code: number;
  try {
    code = await logCommand([...args], {
      out: (t) => lines.out.push(t),
      err: (t) => lines.err.push(t),
    });
  } catch (error) {
    lines.err.push(error instanceof Error ? error.message : String(error));
    code = 2;
  }
  return { code, stdout: lines.out.join('\n'), stderr: lines.err.join('\n') };
}

/** The gateway's store in `dataDir` (created if needed) and a transfer log signing with the example key. */
export function openGatewayLog(dataDir: string, clock: Clock = { nowMs: () => Date.now() }) {
  mkdirSync(dataDir, { recursive: true });
  const db = new SqliteDatabase(join(dataDir, 'gateway.db'));
  const store = new SqliteTransferLogStore(db);
  const log = createTransferLog({ store, signer: gatewaySigner, clock, gatewayId: GATEWAY_ID });
  return { db, store, log };
}
