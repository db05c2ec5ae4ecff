import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteConsentStore } from '../../gateway/adapters/sqlite/sqlite-consent-store.js';
import { SqliteDatabase } from '../../gateway/adapters/sqlite/sqlite-database.js';
import { createConsentService } from '../../gateway/core/consent/index.js';
import type { ConsentRecord } from '../../gateway/core/ports.js';

const T0 = Date.UTC(2026, 10, 1, 9);
const clock = { nowMs: () => T0 };

function consent(overrides: Partial<ConsentRecord> = {}): ConsentRecord {
  return {
    id: randomUUID(),
    subjectRef: 'subject-erika',
    consumer: 'ags:09999001',
    evidenceTypes: ['meldebescheinigung', 'geburtsurkunde'],
    purpose: 'wohngeld-antrag',
    validUntil: T0 + 1000,
    singleUse: false,
    createdAt: T0,
    events: [{ type: 'given', at: T0, by: 'citizen' }],
    ...overrides,
  };
}

function sqliteCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('SqliteConsentStore', () => {
  let dir: string;
  let database: SqliteDatabase;
  let store: SqliteConsentStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oog-consent-'));
    database = new SqliteDatabase(join(dir, 'gateway.db'));
    store = new SqliteConsentStore(database);
  });

  afterEach(() => {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores and reads back a consent with its events', async () => {
    const c = consent({ validUntil: null, singleUse: true });
    await store.create(c);
    expect(await store.get(c.id)).to.deep.equal(c);
    expect(await store.get('unknown')).to.equal(undefined);
  });

  it('lists one citizen’s consents newest first, with their events', async () => {
    const older = consent();
    const newer = consent({ createdAt: T0 + 10, purpose: 'elterngeld-antrag' });
    await store.create(older);
    await store.create(newer);
    await store.create(consent({ subjectRef: 'subject-max' }));
    await store.appendEvent(older.id, { type: 'withdrawn', at: T0 + 20, by: 'citizen' }, 1);
    const list = await store.listBySubject('subject-erika');
    expect(list.map((c) => c.id)).to.deep.equal([newer.id, older.id]);
    expect(list[1]!.events.map((e) => e.type)).to.deep.equal(['given', 'withdrawn']);
    expect(await store.listBySubject('nobody')).to.deep.equal([]);
  });

  it('refuses a second consent with the same id', async () => {
    const c = consent();
    await store.create(c);
    let failed = false;
    await store.create(c).catch(() => (failed = true));
    expect(failed).to.equal(true);
  });

  it('appends only if the event count is still the one seen (compare-and-set)', async () => {
    const c = consent();
    await store.create(c);
    const used = { type: 'used', at: T0, by: 'x1', exchangeId: 'x1' } as const;
    expect(await store.appendEvent(c.id, used, 1)).to.equal(true);
    expect(await store.appendEvent(c.id, used, 1)).to.equal(false);
    expect(await store.appendEvent('unknown', used, 0)).to.equal(false);
    const events = (await store.get(c.id))!.events;
    expect(events).to.deep.equal([c.events[0], used]);
  });

  it('lets exactly one of 20 concurrent claims use a single-use consent', async () => {
    const service = createConsentService({ store, clock, newId: randomUUID });
    const given = await service.give('subject-erika', {
      consumer: 'ags:09999001',
      evidenceTypes: ['meldebescheinigung'],
      purpose: 'wohngeld-antrag',
      singleUse: true,
    });
    const check = await service.checkForExchange({
      subjectRef: 'subject-erika',
      consumer: 'ags:09999001',
      evidenceType: 'meldebescheinigung',
      purpose: 'wohngeld-antrag',
    });
    expect(check.ok).to.equal(true);
    if (!check.ok) return;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => service.claim(check.consent, `exchange-${i}`)),
    );
    expect(results.filter(Boolean)).to.have.length(1);
    const events = (await store.get(given.id))!.events;
    expect(events.filter((e) => e.type === 'used')).to.have.length(1);
    const after = await service.checkForExchange({
      subjectRef: 'subject-erika',
      consumer: 'ags:09999001',
      evidenceType: 'meldebescheinigung',
      purpose: 'wohngeld-antrag',
    });
    expect(after.ok || after.code).to.equal('ERR_CONSENT_EXPIRED');
  });

  it('keeps a withdrawal across a restart, and migrates only once', async () => {
    const service = createConsentService({ store, clock, newId: randomUUID });
    const c = await service.give('subject-erika', {
      consumer: 'ags:09999001',
      evidenceTypes: ['meldebescheinigung'],
      purpose: 'wohngeld-antrag',
    });
    await service.withdraw('subject-erika', c.id);
    database.close();
    database = new SqliteDatabase(join(dir, 'gateway.db'));
    store = new SqliteConsentStore(database);
    const reopened = createConsentService({ store, clock, newId: randomUUID });
    const check = await reopened.checkForExchange({
      subjectRef: 'subject-erika',
      consumer: 'ags:09999001',
      evidenceType: 'meldebescheinigung',
      purpose: 'wohngeld-antrag',
    });
    expect(check.ok || check.code).to.equal('ERR_CONSENT_WITHDRAWN');
  });

  it('refuses UPDATE and DELETE on consent events, and UPDATE on consents', async () => {
    const c = consent();
    await store.create(c);
    const db = database.db;
    expect(
      sqliteCode(() => db.prepare("UPDATE consent_events SET type = 'given' WHERE consent_id = ?").run(c.id)),
    ).to.equal('SQLITE_CONSTRAINT_TRIGGER');
    expect(
      sqliteCode(() => db.prepare('DELETE FROM consent_events WHERE consent_id = ?').run(c.id)),
    ).to.equal('SQLITE_CONSTRAINT_TRIGGER');
    expect(
      sqliteCode(() => db.prepare('UPDATE consents SET valid_until = NULL WHERE id = ?').run(c.id)),
    ).to.equal('SQLITE_CONSTRAINT_TRIGGER');
    expect((await store.get(c.id))!.events).to.have.length(1);
  });

  it('indexes consents by subject reference', () => {
    const indexes = database.db
      .prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'consents'")
      .all() as {
      sql: string | null;
    }[];
    expect(indexes.some((i) => i.sql?.includes('subject_ref'))).to.equal(true);
  });
});
