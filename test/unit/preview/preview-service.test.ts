/**
 * createPreviewService over the real SQLite store: the sweep, log failures failing closed, and the sealing of held
 * evidence (AES-256-GCM bound to the exchange id).
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDatabase } from '../../../gateway/adapters/sqlite/sqlite-database.js';
import { SqlitePreviewStore } from '../../../gateway/adapters/sqlite/sqlite-preview-store.js';
import { GatewayError } from '../../../gateway/core/errors.js';
import { createKeyedLock } from '../../../gateway/core/keyed-lock.js';
import type { TransferRecord } from '../../../gateway/core/ports.js';
import { createEvidenceSealer, createPreviewService } from '../../../gateway/core/preview/index.js';

const T0 = 1_800_000_000_000;
const CONTENT = {
  evidence: 'signed-evidence',
  digest: 'd',
  fields: ['kind'],
  data: { kind: { vornamen: 'Paula' } },
};

function record(exchangeId: string): TransferRecord {
  return {
    v: 1,
    time: new Date(T0).toISOString(),
    exchangeId,
    outcome: 'awaiting-citizen',
    authenticated: true,
    consumer: 'ags:09999002',
    provider: 'psw:09999001',
    evidenceType: 'geburtsurkunde',
    purpose: 'elterngeld-antrag',
    legalBasis: '§ 1',
    procedure: { reference: 'EG-1' },
    subjectRef: 'ref-erika',
    consentId: 'c1',
    format: 'xoev',
    preview: 'pending',
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof GatewayError ? error.code : String(error);
  }
  return 'resolved';
}

describe('createPreviewService', () => {
  let dir: string;
  let db: SqliteDatabase;
  let now: number;
  let logged: TransferRecord[];
  let logFails: boolean;

  function service() {
    return createPreviewService({
      store: new SqlitePreviewStore(db),
      sealer: createEvidenceSealer(randomBytes(32)),
      clock: { nowMs: () => now },
      log: {
        async append(r) {
          if (logFails) throw new Error('disk gone');
          logged.push(r);
          return { index: logged.length - 1, leafHash: 'x' };
        },
      },
      guardRelease: async (_c, _e, release) => ({ ok: true, value: await release() }),
      lock: createKeyedLock(),
      collectWindowMs: 60_000,
    });
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oog-preview-'));
    db = new SqliteDatabase(join(dir, 'gateway.db'));
    now = T0;
    logged = [];
    logFails = false;
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sweep – expires overdue previews (withheld, ERR_PREVIEW_REJECTED) and destroys uncollected approved evidence', async () => {
    const previews = service();
    await previews.hold(record('e-overdue'), CONTENT, T0 + 1000);
    await previews.hold(record('e-approved'), CONTENT, T0 + 10_000_000);
    await previews.hold(record('e-fresh'), CONTENT, T0 + 10_000_000);
    await previews.decide('ref-erika', 'e-approved', 'approve');
    now = T0 + 61_000;
    expect(await previews.sweep()).to.equal(2);
    expect((await previews.get('e-overdue'))!).to.include({ state: 'expired', sealed: null });
    expect((await previews.get('e-approved'))!).to.include({ state: 'approved', sealed: null });
    expect((await previews.get('e-fresh'))!.state).to.equal('pending');
    expect(logged.map((r) => `${r.exchangeId}:${r.outcome}:${r.code ?? ''}`)).to.deep.equal([
      'e-overdue:awaiting-citizen:',
      'e-approved:awaiting-citizen:',
      'e-fresh:awaiting-citizen:',
      'e-approved:released:',
      'e-overdue:withheld:ERR_PREVIEW_REJECTED',
    ]);
    expect(await previews.collect('e-approved', 'ags:09999002')).to.equal(undefined);
  });

  it('keeps a preview pending, evidence and all, when its decision cannot be logged (ERR_LOG_UNAVAILABLE)', async () => {
    const previews = service();
    await previews.hold(record('e1'), CONTENT, T0 + 10_000);
    logFails = true;
    expect(await codeOf(previews.decide('ref-erika', 'e1', 'approve'))).to.equal('ERR_LOG_UNAVAILABLE');
    expect(await codeOf(previews.decide('ref-erika', 'e1', 'reject'))).to.equal('ERR_LOG_UNAVAILABLE');
    const entry = (await previews.get('e1'))!;
    expect(entry.state).to.equal('pending');
    expect(entry.sealed).to.not.equal(null);
    expect(await previews.collect('e1', 'ags:09999002')).to.equal(undefined);
  });

  it('holds nothing when the awaiting-citizen record cannot be logged', async () => {
    const previews = service();
    logFails = true;
    expect(await codeOf(previews.hold(record('e1'), CONTENT, T0 + 10_000))).to.equal('ERR_LOG_UNAVAILABLE');
    expect((await previews.get('e1'))!).to.include({ state: 'cancelled', sealed: null });
    expect(await previews.list('ref-erika')).to.satisfy((l: { entry: { state: string } }[]) =>
      l.every((v) => v.entry.state !== 'pending'),
    );
  });

  it('gives the approved evidence only to its own consumer', async () => {
    const previews = service();
    await previews.hold(record('e1'), CONTENT, T0 + 10_000);
    await previews.decide('ref-erika', 'e1', 'approve');
    expect(await previews.collect('e1', 'ags:09999001')).to.equal(undefined);
    expect((await previews.collect('e1', 'ags:09999002'))!.evidence).to.equal('signed-evidence');
  });
});

describe('createEvidenceSealer', () => {
  const sealer = createEvidenceSealer(randomBytes(32));

  it('opens what it sealed for the same exchange', () => {
    expect(sealer.open('e1', sealer.seal('e1', CONTENT))).to.deep.equal(CONTENT);
  });

  it('refuses a blob moved to another exchange, altered, or sealed under another key, with ERR_INTERNAL', () => {
    const sealed = sealer.seal('e1', CONTENT);
    const altered = Uint8Array.from(sealed);
    altered[altered.length - 1]! ^= 1;
    const other = createEvidenceSealer(randomBytes(32));
    for (const open of [
      () => sealer.open('e2', sealed),
      () => sealer.open('e1', altered),
      () => other.open('e1', sealed),
      () => sealer.open('e1', new Uint8Array(5)),
    ]) {
      expect(open).to.throw(GatewayError).with.property('code', 'ERR_INTERNAL');
    }
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => createEvidenceSealer(randomBytes(16))).to.throw(TypeError);
  });
});
