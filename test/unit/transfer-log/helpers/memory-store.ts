/**
 * An in-memory TransferLogStore for testing the transfer log service without SQLite. It keeps the same data
 * as the SQLite store (leaves, every complete node, checkpoints) and counts calls, so tests can see batching
 * and coalescing. `leaves`, `nodes` and `checkpoints` are public so tests can tamper with them.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createLocalSigner } from '../../../../gateway/adapters/keys/local-signer.js';
import type {
  AppendedLeaf,
  Clock,
  SignedCheckpoint,
  StoredLeaf,
  TransferLogStore,
  TransferRecord,
} from '../../../../gateway/core/ports.js';
import {
  createCompactRange,
  encodeRecord,
  rangeNodes,
  recordLeafHash,
} from '../../../../gateway/core/transfer-log/index.js';
import type { LogSigner } from '../../../../gateway/core/transfer-log/index.js';
import { testCertificate } from '../../envelope/fake-trust.js';

export class MemoryTransferLogStore implements TransferLogStore {
  leaves: StoredLeaf[] = [];
  nodeTable = new Map<string, Uint8Array>();
  checkpoints: SignedCheckpoint[] = [];
  appendCalls: number[] = [];
  saveCalls = 0;
  savesInFlight = 0;
  maxSavesInFlight = 0;
  failAppends = false;

  async append(records: readonly TransferRecord[]): Promise<AppendedLeaf[]> {
    this.appendCalls.push(records.length);
    await Promise.resolve();
    if (this.failAppends) throw new Error('disk on fire');
    const size = this.leaves.length;
    const range = createCompactRange(
      size,
      rangeNodes(0, size).map((r) => this.nodeTable.get(`${r.level}/${r.index}`)!),
    );
    return records.map((record) => {
      const bytes = encodeRecord(record);
      const hash = recordLeafHash(bytes);
      const index = range.size;
      for (const n of range.append(hash)) this.nodeTable.set(`${n.level}/${n.index}`, n.hash);
      const leafHash = Buffer.from(hash).toString('base64url');
      this.leaves.push({ index, leafHash, record: Buffer.from(bytes).toString('utf8') });
      return { index, leafHash };
    });
  }

  async size(): Promise<number> {
    return this.leaves.length;
  }

  async leaf(index: number): Promise<StoredLeaf | undefined> {
    return this.leaves.find((l) => l.index === index);
  }

  async nodes(refs: readonly { level: number; index: number }[]): Promise<Uint8Array[]> {
    return refs.map((r) => {
      const h = this.nodeTable.get(`${r.level}/${r.index}`);
      if (!h) throw new Error(`missing node ${r.level}/${r.index}`);
      return h;
    });
  }

  async saveCheckpoint(checkpoint: SignedCheckpoint): Promise<void> {
    this.saveCalls++;
    this.savesInFlight++;
    this.maxSavesInFlight = Math.max(this.maxSavesInFlight, this.savesInFlight);
    await new Promise((resolve) => setTimeout(resolve, 2));
    this.savesInFlight--;
    this.checkpoints.push(checkpoint);
  }

  async latestCheckpoint(): Promise<SignedCheckpoint | undefined> {
    return this.checkpoints.at(-1);
  }

  async *iterateLeaves(from: number): AsyncIterable<StoredLeaf> {
    for (const leaf of this.leaves) if (leaf.index >= from) yield leaf;
  }
}

/** A clock the test moves by hand. */
export function manualClock(start = Date.UTC(2025, 0, 1)): Clock & { set(ms: number): void } {
  let now = start;
  return { nowMs: () => now, set: (ms: number) => void (now = ms) };
}

/** A log signer over `privateKey` (the local Signer; its certificate is a placeholder the log never reads). */
export function logSigner(alg: LogSigner['alg'], privateKey: KeyObject, kid = 'k'.repeat(43)): LogSigner {
  return createLocalSigner(
    { participantId: 'oog:test-gateway', kid, alg, certificate: testCertificate },
    privateKey,
  );
}

export function ecSigner(kid = 'k'.repeat(43)): LogSigner {
  return logSigner('ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, kid);
}

let counter = 0;

/** A well-formed transfer record; `overrides` replace members. */
export function sampleRecord(overrides: Partial<TransferRecord> = {}): TransferRecord {
  counter++;
  return {
    v: 1,
    time: new Date(Date.UTC(2025, 0, 1) + counter).toISOString(),
    exchangeId: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    outcome: 'released',
    authenticated: true,
    consumer: 'ags:09999001',
    provider: 'psw:09999001',
    evidenceType: 'meldebescheinigung',
    purpose: 'wohngeld',
    subjectRef: 'subject-a',
    retentionUntil: '2027-01-01',
    ...overrides,
  };
}
