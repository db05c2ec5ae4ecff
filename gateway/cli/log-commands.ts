/**
 * `oog log …`: verify the stored log, check two checkpoints against each other, purge expired record content,
 * extend an exchange's retention. Exit codes as every `oog` command: 0 ok, 1 the thing checked failed, 2 usage
 * or set-up error (thrown).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import type { Config } from '../config.js';
import { GatewayError } from '../core/index.js';
import {
  consistencyProof,
  createTransferLog,
  extendRetention,
  verifyCheckpointConsistency,
} from '../core/transfer-log/index.js';
import { systemClock } from '../adapters/system-clock.js';
import { loadSigner } from '../adapters/files/index.js';
import { SqliteDatabase } from '../adapters/sqlite/sqlite-database.js';
import { SqliteTransferLogStore } from '../adapters/sqlite/sqlite-transfer-log-store.js';

/** Where a command writes its lines; tests pass their own to run the commands in-process. */
export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

const processOutput: CommandOutput = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
};

const USAGE = `usage: oog log verify [--data-dir <dir>]
       oog log consistency <old-checkpoint-file> <new-checkpoint-file> [--data-dir <dir> | --proof <file>] [--cert <file>]
       oog log purge [--data-dir <dir>] [--dry-run [--as-of <ISO date-time>]]
       oog log retain <exchangeId> --until <ISO date> --reason <text> [--actor <id>] [--data-dir <dir>]`;

/** The gateway's public key: from --cert if given, else the certificate next to the configured key. */
export function gatewayPublicKey(config: Config, certFile?: string): KeyObject {
  return createPublicKey(readFileSync(certFile ?? config.gatewayKeyFile.replace(/\.key\.pem$/, '.cert.pem')));
}

function configWith(dataDir: string | undefined): Config {
  return loadConfig(undefined, dataDir ? { dataDir } : {});
}

function openStore(config: Config, options: { readonly readonly: boolean }) {
  const file = join(config.dataDir, 'gateway.db');
  // Writing commands must not create an empty store where the operator mistyped the directory.
  if (!existsSync(file)) throw new Error(`no gateway store at ${file}`);
  const db = new SqliteDatabase(file, options);
  try {
    return { db, store: new SqliteTransferLogStore(db) };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Runs `oog log <sub> …`; resolves with the exit code, throws on usage or set-up errors (exit 2). */
export async function logCommand(args: string[], io: CommandOutput = processOutput): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'verify':
      return verify(rest, io);
    case 'consistency':
      return consistency(rest, io);
    case 'purge':
      return purge(rest, io);
    case 'retain':
      return retain(rest, io);
    default:
      throw new Error(USAGE);
  }
}

async function verify(args: string[], { out, err }: CommandOutput): Promise<number> {
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' } } });
  const config = configWith(values['data-dir']);
  const { db, store } = openStore(config, { readonly: true });
  try {
    const signer = loadSigner(config.participantsFile, config.gatewayId);
    const transferLog = createTransferLog({ store, signer, clock: systemClock, gatewayId: config.gatewayId });
    const started = Date.now();
    const result = await transferLog.verifyStored();
    const ms = Date.now() - started;
    if (result.ok) {
      out(
        `ok: ${result.size} leaves recomputed, tree rebuilt, consistent with the checkpoint of size ${result.checkpointSize ?? 0}, every erased record logged by a purge (${ms} ms)`,
      );
      return 0;
    }
    err(
      `FAILED: ${result.reason}${result.firstBadIndex === undefined ? '' : ` — first bad index ${result.firstBadIndex}`} (size ${result.size})`,
    );
    return 1;
  } finally {
    db.close();
  }
}

/** Reads a checkpoint file: the compact JWS as `GET /v1/log/checkpoint` and receipts carry it. */
function readToken(file: string): string {
  return readFileSync(file, 'utf8').trim();
}

async function consistency(args: string[], { out, err }: CommandOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'data-dir': { type: 'string' }, proof: { type: 'string' }, cert: { type: 'string' } },
  });
  if (positionals.length !== 2) throw new Error(USAGE);
  if (values.proof && values['data-dir']) throw new Error('give --proof or --data-dir, not both');
  const config = configWith(values['data-dir']);
  const key = gatewayPublicKey(config, values.cert);
  const [oldJws, newJws] = [readToken(positionals[0]!), readToken(positionals[1]!)];

  // A proof file that is not JSON is a malformed proof (exit 1), not a usage error.
  let fileProof: unknown;
  if (values.proof) {
    const text = readFileSync(values.proof, 'utf8');
    try {
      fileProof = JSON.parse(text) as unknown;
    } catch {
      fileProof = text;
    }
  }
  // The store is opened read-only, and only when the proof is not given: a file proof works fully offline.
  const opened = values.proof === undefined ? openStore(config, { readonly: true }) : undefined;
  try {
    const result = await verifyCheckpointConsistency(
      oldJws,
      newJws,
      async (first, second) => {
        if (opened === undefined) return fileProof;
        const store = opened.store;
        if ((await store.size()) < second) throw new Error('the store does not hold the new tree');
        return (await consistencyProof(first, second, (refs) => store.nodes(refs))).map((hash) =>
          Buffer.from(hash).toString('base64url'),
        );
      },
      key,
      { issuer: config.gatewayId },
    );
    if (result.ok) {
      out(
        `consistent: the checkpoint of size ${result.new.treeSize} (${new Date(result.new.time).toISOString()}) extends the one of size ${result.old.treeSize} (${new Date(result.old.time).toISOString()})`,
      );
      return 0;
    }
    err(`FAILED: ${result.reason}${result.detail ? ` (${result.detail})` : ''}`);
    return 1;
  } finally {
    opened?.db.close();
  }
}

/**
 * Removes the content of every record whose exchange's retention has ended; leaf hashes and Merkle nodes stay.
 * Safe next to a running gateway: each window of the purge is one short write transaction under SQLite's writer
 * lock (WAL, busy timeout), the same lock the gateway's appends take. Each window that erased something appended
 * a purge record; a checkpoint over them is signed with the gateway's key, as `retain` does.
 */
async function purge(args: string[], { out }: CommandOutput): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      'dry-run': { type: 'boolean' },
      'as-of': { type: 'string' },
    },
  });
  const dryRun = values['dry-run'] ?? false;
  let now = new Date(systemClock.nowMs()).toISOString();
  if (values['as-of'] !== undefined) {
    // Only for a dry run: a purge as of a later date would remove records still within their retention.
    if (!dryRun) throw new Error('--as-of needs --dry-run');
    const ms = Date.parse(values['as-of']);
    if (Number.isNaN(ms)) throw new Error('--as-of must be an ISO 8601 date or date-time');
    now = new Date(ms).toISOString();
  }
  const config = configWith(values['data-dir']);
  const signer = dryRun ? undefined : loadSigner(config.participantsFile, config.gatewayId);
  const { db, store } = openStore(config, { readonly: dryRun });
  try {
    const started = Date.now();
    const count = await store.purgeRecords(now, { dryRun });
    if (signer !== undefined && count > 0)
      await createTransferLog({
        store,
        signer,
        clock: systemClock,
        gatewayId: config.gatewayId,
      }).checkpoint();
    const ms = Date.now() - started;
    out(
      dryRun
        ? `dry run: ${count} records would be purged as of ${now} (${ms} ms)`
        : `purged ${count} records whose retention ended before ${now}; leaf hashes and Merkle nodes kept${count > 0 ? ', the purge logged and signed into a checkpoint' : ''} (${ms} ms)`,
    );
    return 0;
  } finally {
    db.close();
  }
}

/**
 * Extends an exchange's retention: appends a `retention-extended` record through the store's append (the write
 * transaction that takes SQLite's writer lock and reads the head inside it, so indexes stay gap-free next to a
 * running gateway) and signs a checkpoint covering it with the gateway's key.
 */
async function retain(args: string[], { out, err }: CommandOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      until: { type: 'string' },
      reason: { type: 'string' },
      actor: { type: 'string' },
    },
  });
  if (positionals.length !== 1 || values.until === undefined || values.reason === undefined)
    throw new Error(USAGE);
  const config = configWith(values['data-dir']);
  const signer = loadSigner(config.participantsFile, config.gatewayId);
  const { db, store } = openStore(config, { readonly: false });
  try {
    const transferLog = createTransferLog({ store, signer, clock: systemClock, gatewayId: config.gatewayId });
    const { leaf, record } = await extendRetention(
      { log: transferLog, recordsOf: (id) => store.recordsByExchange(id), clock: systemClock },
      {
        exchangeId: positionals[0]!,
        until: values.until,
        reason: values.reason,
        actor: values.actor ?? 'oog-cli',
      },
    );
    const checkpoint = await transferLog.checkpointCovering(leaf.index);
    out(
      `retained: exchange ${record.exchangeId} until ${record.retentionUntil}, logged as leaf ${leaf.index}, checkpoint of size ${checkpoint.treeSize} signed`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    err(`FAILED: ${error.code}${error.detail ? ` — ${error.detail}` : ''}`);
    return 1;
  } finally {
    db.close();
  }
}
