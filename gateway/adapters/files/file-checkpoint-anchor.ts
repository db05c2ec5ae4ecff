/**
 * The checkpoint anchor as a file (core/ports.ts CheckpointAnchor; README "The log's anchor"): one line of JSON
 * per signed checkpoint, appended and flushed to disk (fdatasync) before the checkpoint is saved in the store
 * or handed out. Keep it where a restore of the store does not reach (another volume, a WORM mount): then a
 * store restored from an older backup is found behind it at the next start.
 *
 * The file only grows, until it passes `compactBytes`: then it is replaced (write, fsync, rename, fsync of the
 * directory) by a file holding only its latest checkpoint, so it stays small on a gateway that signs a
 * checkpoint every few seconds for years. A line torn by a crash (no newline yet) was never acknowledged: it is
 * ignored, and cut off before the next append. Any other line that does not read is damage, and is reported.
 */
import { mkdir, open, readFile, rename, stat, truncate } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { CheckpointAnchor, SignedCheckpoint } from '../../core/ports.js';

/** Past this size the file is compacted to its latest line (≈ 2,000 checkpoints). */
const COMPACT_BYTES = 1 << 20;

interface AnchorState {
  readonly latest: SignedCheckpoint | undefined;
  /** Bytes of complete lines; anything after is a torn line. */
  readonly validBytes: number;
  readonly bytes: number;
}

function parseLine(line: string, number: number, file: string): SignedCheckpoint {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    value = undefined;
  }
  const v = value as Partial<SignedCheckpoint> | undefined;
  if (
    typeof v !== 'object' ||
    v === null ||
    !Number.isSafeInteger(v.treeSize) ||
    typeof v.rootHash !== 'string' ||
    !Number.isSafeInteger(v.time) ||
    typeof v.jws !== 'string'
  ) {
    throw new Error(`${file}: line ${number} is not a checkpoint`);
  }
  return { treeSize: v.treeSize!, rootHash: v.rootHash, time: v.time!, jws: v.jws };
}

/** Reads every complete line; the last is the latest checkpoint. Throws on a damaged line. */
export async function readAnchorFile(file: string): Promise<{
  readonly checkpoints: readonly SignedCheckpoint[];
  readonly validBytes: number;
  readonly bytes: number;
}> {
  const text = await readFile(file, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  const lines = text.slice(0, end).split('\n').slice(0, -1);
  const checkpoints = lines.map((line, i) => parseLine(line, i + 1, file));
  for (let i = 1; i < checkpoints.length; i++) {
    if (checkpoints[i]!.treeSize < checkpoints[i - 1]!.treeSize) {
      throw new Error(`${file}: line ${i + 1} records a smaller tree than the line before`);
    }
  }
  return { checkpoints, validBytes: Buffer.byteLength(text.slice(0, end)), bytes: Buffer.byteLength(text) };
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface FileCheckpointAnchorOptions {
  /** Compact past this many bytes (tests use a small value). */
  readonly compactBytes?: number;
}

/** A CheckpointAnchor kept in `file`. Records are serialised: one append at a time. */
export function createFileCheckpointAnchor(
  file: string,
  options: FileCheckpointAnchorOptions = {},
): CheckpointAnchor {
  const compactBytes = options.compactBytes ?? COMPACT_BYTES;
  let state: AnchorState | undefined;
  let chain: Promise<unknown> = Promise.resolve();

  const load = async (): Promise<AnchorState> => {
    if (state) return state;
    const read = await readAnchorFile(file);
    state = { latest: read.checkpoints.at(-1), validBytes: read.validBytes, bytes: read.bytes };
    return state;
  };

  const compact = async (line: string): Promise<void> => {
    const tmp = join(dirname(file), `.${basename(file)}.tmp`);
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(line);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    await syncDirectory(dirname(file));
  };

  const append = async (checkpoint: SignedCheckpoint): Promise<void> => {
    let current = await load();
    // Another process (oog log purge, retain) may have appended since: read the file again.
    if ((await stat(file)).size !== current.bytes) {
      state = undefined;
      current = await load();
    }
    const last = current.latest;
    if (last && checkpoint.treeSize < last.treeSize) {
      throw new Error(`${file}: refusing to record a tree of ${checkpoint.treeSize} after ${last.treeSize}`);
    }
    if (last && checkpoint.treeSize === last.treeSize) {
      if (checkpoint.rootHash !== last.rootHash) {
        throw new Error(`${file}: another root for the anchored tree of ${last.treeSize} leaves`);
      }
      return;
    }
    const { treeSize, rootHash, time, jws } = checkpoint;
    const line = `${JSON.stringify({ treeSize, rootHash, time, jws })}\n`;
    const lineBytes = Buffer.byteLength(line);
    if (current.validBytes + lineBytes > compactBytes) {
      await compact(line);
      state = { latest: checkpoint, validBytes: lineBytes, bytes: lineBytes };
      return;
    }
    // A torn line from a crash would otherwise sit in the middle of the file.
    if (current.bytes > current.validBytes) await truncate(file, current.validBytes);
    const handle = await open(file, 'a', 0o600);
    try {
      await handle.write(line);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    state = {
      latest: checkpoint,
      validBytes: current.validBytes + lineBytes,
      bytes: current.validBytes + lineBytes,
    };
  };

  return {
    location: file,
    async exists() {
      try {
        return (await stat(file)).isFile();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw error;
      }
    },
    async create() {
      await mkdir(dirname(file), { recursive: true });
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await syncDirectory(dirname(file));
      state = { latest: undefined, validBytes: 0, bytes: 0 };
    },
    async latest() {
      return (await load()).latest;
    },
    record(checkpoint) {
      const run = chain.then(() => append(checkpoint));
      chain = run.catch(() => undefined);
      return run;
    },
  };
}
