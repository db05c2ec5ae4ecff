/** A ConsentStore in memory for unit tests: the same contract as SqliteConsentStore, compare-and-set included. */
import type { ConsentEvent, ConsentRecord, ConsentStore } from '../../../gateway/core/ports.js';

export function createMemoryConsentStore(): ConsentStore & { records: Map<string, ConsentRecord> } {
  const records = new Map<string, ConsentRecord>();
  return {
    records,
    async create(record) {
      if (records.has(record.id)) throw new Error('duplicate consent id');
      records.set(record.id, structuredClone(record));
    },
    async get(id) {
      const r = records.get(id);
      return r && structuredClone(r);
    },
    async listBySubject(subjectRef) {
      return [...records.values()]
        .filter((r) => r.subjectRef === subjectRef)
        .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
        .map((r) => structuredClone(r));
    },
    async appendEvent(id, event: ConsentEvent, expectedLastCount) {
      // Checked and appended synchronously: no other call can run in between.
      const r = records.get(id);
      if (!r || r.events.length !== expectedLastCount) return false;
      records.set(id, { ...r, events: [...r.events, { ...event }] });
      return true;
    },
  };
}

/** A clock the test moves by hand. */
export function createTestClock(startMs = Date.UTC(2026, 10, 1, 9, 0, 0)): {
  nowMs(): number;
  advance(ms: number): void;
} {
  let now = startMs;
  return { nowMs: () => now, advance: (ms) => void (now += ms) };
}
