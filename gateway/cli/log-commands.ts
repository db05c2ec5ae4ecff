/**
 * `oog log …`: verify the stored log, check two checkpoints against each other, purge expired record content,
 * extend an exchange's retention. Exit codes as every `oog` command: 0 ok, 1 the thing checked failed, 2 usage
 * or set-up error (thrown).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import type { Config } from '../config.js';
import { GatewayError } from '../core/index.js';
import type { CheckpointAnchor, SignedCheckpoint } from '../core/index.js';
import {
  checkAgainstKeptCheckpoint,
  consistencyProof,
  createTransferLog,
  extendRetention,
  verifyCheckpoint,
  verifyCheckpointConsistency,
} from '../core/transfer-log/index.js';
import { systemClock } from '../adapters/system-clock.js';
import { createFileCheckpointAnchor, loadSigner } from '../adapters/files/index.js';
import { openLogStorage } from '../bootstrap/open-storage.js';

/** Where a command writes its lines; tests pass their own to run the commands in-process. */
export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

const processOutput: CommandOutput = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
};

const USAGE = `usage: oog log verify [--data-dir <dir>] [--against <kept-checkpoints-file>]...
       oog log checkpoint [--url <gateway>] [--token <dpo bearer>] [--save <file>] [--cert <file>]
       oog log anchor init [--data-dir <dir>]
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

/** The log's store as the configuration names it (DATABASE_URL, else the SQLite file in the data directory). */
const openStore = (config: Config, options: { readonly readonly: boolean }) =>
  openLogStorage(config, options);

/** The log's anchor, if it has one: checkpoints signed by a command are anchored as the gateway's are. */
async function existingAnchor(config: Config): Promise<{ anchor?: CheckpointAnchor }> {
  const anchor = createFileCheckpointAnchor(config.logAnchorFile);
  return (await anchor.exists()) ? { anchor } : {};
}

/** Runs `oog log <sub> …`; resolves with the exit code, throws on usage or set-up errors (exit 2). */
export async function logCommand(args: string[], io: CommandOutput = processOutput): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'verify':
      return verify(rest, io);
    case 'checkpoint':
      return fetchCheckpoint(rest, io);
    case 'anchor':
      return anchorCommand(rest, io);
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
  const { values } = parseArgs({
    args,
    options: { 'data-dir': { type: 'string' }, against: { type: 'string', multiple: true } },
  });
  const config = configWith(values['data-dir']);
  // Read before the store is opened: a kept file that does not read is a usage error, not a failed log.
  const kept = (values.against ?? []).map((file) => ({ file, checkpoints: readKeptCheckpoints(file) }));
  const { close, store } = await openStore(config, { readonly: true });
  try {
    const signer = loadSigner(config.participantsFile, config.gatewayId);
    const transferLog = createTransferLog({ store, signer, clock: systemClock, gatewayId: config.gatewayId });
    const keys = { issuer: config.gatewayId, checkpointKey: ownKey(signer) };
    const started = Date.now();
    // The checkpoints kept outside the store first: a store restored from an older backup verifies against
    // itself, not against what was published before.
    const anchor = createFileCheckpointAnchor(config.logAnchorFile);
    const sources = [
      ...((await anchor.exists())
        ? [{ file: anchor.location, checkpoints: await anchorCheckpoints(anchor) }]
        : []),
      ...kept,
    ];
    for (const source of sources) {
      for (const checkpoint of source.checkpoints) {
        const result = await checkAgainstKeptCheckpoint(store, checkpoint.jws, keys);
        if (!result.ok) {
          err(
            `FAILED: ${result.reason} against ${source.file}: the store holds ${result.storeSize} leaves${
              result.treeSize === undefined ? '' : `, the kept checkpoint covers ${result.treeSize}`
            }`,
          );
          return 1;
        }
      }
    }
    const result = await transferLog.verifyStored();
    const ms = Date.now() - started;
    if (result.ok) {
      const against =
        sources.length === 0 ? '' : `, consistent with ${sources.map((x) => x.file).join(' and ')}`;
      out(
        `ok: ${result.size} leaves recomputed, tree rebuilt, consistent with the checkpoint of size ${result.checkpointSize ?? 0}${against}, every erased record logged by a purge (${ms} ms)`,
      );
      return 0;
    }
    err(
      `FAILED: ${result.reason}${result.firstBadIndex === undefined ? '' : ` — first bad index ${result.firstBadIndex}`} (size ${result.size})`,
    );
    return 1;
  } finally {
    await close();
  }
}

/** The gateway's own public key for its kid (checkpoints signed by the configured key). */
function ownKey(signer: { readonly kid: string; readonly publicKey: KeyObject }) {
  const publicKey = signer.publicKey;
  return (kid: string) => (kid === signer.kid ? publicKey : undefined);
}

async function anchorCheckpoints(anchor: CheckpointAnchor): Promise<readonly SignedCheckpoint[]> {
  const latest = await anchor.latest();
  return latest ? [latest] : [];
}

/**
 * A file of kept checkpoints: the lines `oog log checkpoint --save` (and the anchor) write, or one compact JWS
 * as `GET /v1/log/checkpoint` and receipts carry it. Throws (exit 2) if it is neither.
 */
function readKeptCheckpoints(file: string): readonly Pick<SignedCheckpoint, 'jws'>[] {
  const text = readFileSync(file, 'utf8').trim();
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(text)) return [{ jws: text }];
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        const jws = (JSON.parse(line) as { jws?: unknown }).jws;
        if (typeof jws === 'string') return { jws };
      } catch {
        // reported below
      }
      throw new Error(`${file}: line ${i + 1} is not a kept checkpoint`);
    });
}

/**
 * `oog log checkpoint`: fetches the running gateway's latest signed checkpoint (as a DPO), verifies its
 * signature with the gateway's certificate and prints it. With --save it is appended to a file the DPO keeps, in
 * the anchor's format, only if it extends the last checkpoint kept there (RFC 9162 consistency proof fetched
 * from the gateway and checked here): a gateway showing a shorter or another log is caught at once.
 */
async function fetchCheckpoint(args: string[], { out, err }: CommandOutput): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      save: { type: 'string' },
      cert: { type: 'string' },
    },
  });
  const config = configWith(undefined);
  const base = (values.url ?? `http://${config.host}:${config.port}`).replace(/\/$/, '');
  const token = values.token;
  if (!token) throw new Error('give --token <bearer>: the checkpoint is read as a DPO');
  const key = gatewayPublicKey(config, values.cert);
  const get = async (path: string): Promise<Record<string, unknown>> => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    } catch (cause) {
      throw new Error(`cannot reach the gateway at ${base}: ${(cause as Error).message}`, { cause });
    }
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) {
      throw new Error(`${base}${path}: HTTP ${response.status} ${String(body['code'] ?? '')}`.trim());
    }
    return body;
  };
  const jws = (await get('/v1/log/checkpoint'))['jws'];
  if (typeof jws !== 'string') throw new Error(`${base}/v1/log/checkpoint: no checkpoint in the answer`);
  const verified = await verifyCheckpoint(jws, key, { issuer: config.gatewayId });
  if (!verified.ok) {
    err(`FAILED: the gateway's checkpoint does not verify (${verified.reason})`);
    return 1;
  }
  const { treeSize, rootHash, time } = verified.checkpoint;
  const checkpoint: SignedCheckpoint = { treeSize, rootHash, time, jws };
  if (values.save !== undefined) {
    const kept = createFileCheckpointAnchor(values.save);
    if (!(await kept.exists())) await kept.create();
    const last = await kept.latest();
    if (last && last.treeSize > 0 && treeSize !== last.treeSize) {
      const proof =
        treeSize < last.treeSize
          ? undefined
          : (await get(`/v1/log/proofs/consistency?first=${last.treeSize}&second=${treeSize}`))['proof'];
      const result = await verifyCheckpointConsistency(last.jws, jws, async () => proof, key, {
        issuer: config.gatewayId,
      });
      if (!result.ok) {
        err(
          `FAILED: ${result.reason}: the gateway's checkpoint of size ${treeSize} does not extend the one of size ${last.treeSize} kept in ${values.save}`,
        );
        return 1;
      }
    } else if (last && last.treeSize === treeSize && last.rootHash !== rootHash) {
      err(`FAILED: the gateway shows another root for the tree of size ${treeSize} kept in ${values.save}`);
      return 1;
    }
    await kept.record(checkpoint);
  }
  out(
    `checkpoint: size ${treeSize}, root ${rootHash}, ${new Date(time).toISOString()}${
      values.save === undefined ? '' : `, kept in ${values.save}`
    }`,
  );
  out(jws);
  return 0;
}

/**
 * `oog log anchor init`: anchors a store that has none (one from a version without anchors, or a store taken
 * over on purpose after its old anchor was moved away): verifies the whole log first, then signs a checkpoint
 * of its head and records it in a new anchor. Refuses if an anchor exists.
 */
async function anchorCommand(args: string[], { out, err }: CommandOutput): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'init') throw new Error(USAGE);
  const { values } = parseArgs({ args: rest, options: { 'data-dir': { type: 'string' } } });
  const config = configWith(values['data-dir']);
  const anchor = createFileCheckpointAnchor(config.logAnchorFile);
  if (await anchor.exists()) throw new Error(`an anchor exists at ${anchor.location}; it is not replaced`);
  const { close, store } = await openStore(config, { readonly: false });
  try {
    const signer = loadSigner(config.participantsFile, config.gatewayId);
    const transferLog = createTransferLog({
      store,
      signer,
      clock: systemClock,
      gatewayId: config.gatewayId,
      anchor,
    });
    const result = await transferLog.verifyStored();
    if (!result.ok) {
      err(`FAILED: the log does not verify (${result.reason}); no anchor was created`);
      return 1;
    }
    await anchor.create();
    const head = await transferLog.checkpoint();
    out(`anchored: ${anchor.location} records the checkpoint of size ${head.treeSize}`);
    return 0;
  } finally {
    await close();
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
  const opened = values.proof === undefined ? await openStore(config, { readonly: true }) : undefined;
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
    await opened?.close();
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
  const { close, store } = await openStore(config, { readonly: dryRun });
  try {
    const started = Date.now();
    const count = await store.purgeRecords(now, { dryRun });
    if (signer !== undefined && count > 0)
      await createTransferLog({
        store,
        signer,
        clock: systemClock,
        gatewayId: config.gatewayId,
        ...(await existingAnchor(config)),
      }).checkpoint();
    const ms = Date.now() - started;
    out(
      dryRun
        ? `dry run: ${count} records would be purged as of ${now} (${ms} ms)`
        : `purged ${count} records whose retention ended before ${now}; leaf hashes and Merkle nodes kept${count > 0 ? ', the purge logged and signed into a checkpoint' : ''} (${ms} ms)`,
    );
    return 0;
  } finally {
    await close();
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
  const { close, store } = await openStore(config, { readonly: false });
  try {
    const transferLog = createTransferLog({
      store,
      signer,
      clock: systemClock,
      gatewayId: config.gatewayId,
      ...(await existingAnchor(config)),
    });
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
    await close();
  }
}
