/**
 * Composition of the transfer log's readers for gateway/main.ts: the DPO and auditor calls of PROTOCOL.md §4
 * (filtered transfer list, one transfer with its proofs, exports, log head, leaves and proofs, records of
 * processing) and the citizen's view of the log (§3 `/v1/me/transfers`, `/v1/me/export`).
 *
 * A "transfer" in the list is the record that ended an exchange (released, refused or withheld); the records on
 * the way (intent, awaiting-citizen) show with the `outcome` filter and in the detail view. A DPO limited to
 * participant ids sees only records in which one of them is consumer or provider; anything else is "not found".
 */
import { GatewayError } from '../core/errors.js';
import { isValidIdnr } from '../core/ids.js';
import type { StoredLeaf, TransferRecord, TrustStore } from '../core/ports.js';
import type { Policy } from '../core/policy/index.js';
import type { TransferLog } from '../core/transfer-log/index.js';
import type { TransferFilter, TransferLogQueries, TransferLogStore } from '../core/ports.js';
import type {
  AuditService,
  AuditTransfer,
  CitizenAccessService,
  CitizenTransfer,
  DpoScope,
  TransferQuery,
} from './contracts.js';

export interface AuditCompositionDeps {
  readonly store: TransferLogQueries & Pick<TransferLogStore, 'leaf'>;
  readonly log: TransferLog;
  readonly trust: TrustStore;
  readonly policies: readonly Policy[];
  readonly gatewayId: string;
  readonly subjectRef: (idnr: string) => string;
  readonly clock: { nowMs(): number };
  /** Everything else the citizen's Art. 15 export holds (consents, previews, consent requests), as wire objects. */
  readonly citizenExtras: (idnr: string) => Promise<Readonly<Record<string, unknown>>>;
}

const DEFAULT_LIMIT = 50;
const EXPORT_PAGE = 1000;
/** The most rows one export carries; a DPO narrows the filter for more. */
const EXPORT_MAX = 1_000_000;

const CSV_COLUMNS = [
  'index',
  'time',
  'exchangeId',
  'outcome',
  'code',
  'consumer',
  'provider',
  'evidenceType',
  'purpose',
  'legalBasis',
  'procedureReference',
  'procedureService',
  'actor',
  'fields',
  'consentId',
  'policy',
  'preview',
  'format',
  'authenticated',
  'subjectRef',
  'retentionUntil',
] as const;

/**
 * One CSV cell per RFC 4180, safe against formula injection (OWASP "CSV Injection"): a cell that a spreadsheet
 * would read as a formula (= + - @, tab, carriage return) gets a leading apostrophe; control characters become
 * visible `\u00XX`; every cell is quoted with inner quotes doubled.
 */
export function csvCell(value: unknown): string {
  let text = value === undefined || value === null ? '' : String(value);
  text = text.replace(
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

function csvRow(index: number, r: TransferRecord): string {
  const cells: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    index,
    time: r.time,
    exchangeId: r.exchangeId,
    outcome: r.outcome,
    code: r.code,
    consumer: r.consumer,
    provider: r.provider,
    evidenceType: r.evidenceType,
    purpose: r.purpose,
    legalBasis: r.legalBasis,
    procedureReference: r.procedure?.reference,
    procedureService: r.procedure?.service,
    actor: r.actor,
    fields: r.fields?.join(' '),
    consentId: r.consentId,
    policy: r.policy ? `${r.policy.id}@${r.policy.version}` : undefined,
    preview: r.preview,
    format: r.format,
    authenticated: r.authenticated,
    subjectRef: r.subjectRef,
    retentionUntil: r.retentionUntil,
  };
  return `${CSV_COLUMNS.map((c) => csvCell(cells[c])).join(',')}\r\n`;
}

function parseRecord(leaf: StoredLeaf): TransferRecord | null {
  return leaf.record === null ? null : (JSON.parse(leaf.record) as TransferRecord);
}

function encodeCursor(index: number): string {
  return Buffer.from(`i${index}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): number {
  const text = /^[A-Za-z0-9_-]{2,24}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const m = /^i(0|[1-9][0-9]{0,15})$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(index))
    throw new GatewayError('ERR_REQUEST_MALFORMED', 'cursor is not one this gateway issued');
  return index;
}

function visibleTo(record: TransferRecord | null, scope: DpoScope): boolean {
  if (scope.participants === undefined) return true;
  if (record === null) return false;
  return scope.participants.some((p) => p === record.consumer || p === record.provider);
}

export function composeAudit(deps: AuditCompositionDeps) {
  const { store, log, trust } = deps;
  const named = (id: string | undefined) => {
    if (id === undefined) return undefined;
    const name = trust.participant(id)?.name;
    return name === undefined ? { id } : { id, name };
  };

  function filterOf(query: TransferQuery, scope: DpoScope, limit: number): TransferFilter {
    if (query.subject !== undefined && !isValidIdnr(query.subject)) {
      throw new GatewayError('ERR_IDENTIFIER', 'subject is not a valid IDNr');
    }
    if (query.from !== undefined && query.to !== undefined && Date.parse(query.from) > Date.parse(query.to)) {
      throw new GatewayError('ERR_REQUEST_MALFORMED', 'from is after to');
    }
    const iso = (t: string | undefined) =>
      t === undefined ? undefined : new Date(Date.parse(t)).toISOString();
    return {
      from: iso(query.from),
      to: iso(query.to),
      consumer: query.consumer,
      provider: query.provider,
      evidenceType: query.evidenceType,
      purpose: query.purpose,
      ...(query.outcome === undefined ? {} : { outcomes: [query.outcome] }),
      subjectRef: query.subject === undefined ? undefined : deps.subjectRef(query.subject),
      participants: scope.participants,
      beforeIndex: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
      limit,
    };
  }

  function wire(leaf: StoredLeaf, record: TransferRecord): AuditTransfer {
    return {
      index: leaf.index,
      leafHash: leaf.leafHash,
      ...record,
      consumer: named(record.consumer),
      provider: named(record.provider),
    };
  }

  const audit: AuditService = {
    async list(query, scope) {
      const limit = query.limit ?? DEFAULT_LIMIT;
      const leaves = await store.findRecords(filterOf(query, scope, limit + 1));
      const page = leaves.slice(0, limit);
      const transfers = page.map((leaf) => wire(leaf, parseRecord(leaf)!));
      const last = page[page.length - 1];
      return leaves.length > limit && last ? { transfers, next: encodeCursor(last.index) } : { transfers };
    },

    async get(exchangeId, scope) {
      const leaves = await store.recordsByExchange(exchangeId);
      const records = leaves.map((leaf) => ({ leaf, record: parseRecord(leaf) }));
      if (records.length === 0 || !records.some((r) => r.record !== null && visibleTo(r.record, scope))) {
        return undefined;
      }
      const last = leaves[leaves.length - 1]!;
      const checkpoint = await log.checkpointCovering(last.index);
      const out = [];
      for (const { leaf, record } of records) {
        out.push({
          index: leaf.index,
          leafHash: leaf.leafHash,
          record,
          inclusionProof: await log.inclusionProof(leaf.index, checkpoint.treeSize),
        });
      }
      return {
        exchangeId,
        checkpoint: {
          treeSize: checkpoint.treeSize,
          rootHash: checkpoint.rootHash,
          time: new Date(checkpoint.time).toISOString(),
          jws: checkpoint.jws,
        },
        records: out,
      };
    },

    async *export(query, scope, format) {
      if (format === 'csv') yield `${CSV_COLUMNS.map(csvCell).join(',')}\r\n`;
      let filter = filterOf({ ...query, cursor: query.cursor }, scope, EXPORT_PAGE);
      let sent = 0;
      for (;;) {
        const leaves = await store.findRecords(filter);
        for (const leaf of leaves) {
          const record = parseRecord(leaf)!;
          yield format === 'csv'
            ? csvRow(leaf.index, record)
            : `${JSON.stringify({ index: leaf.index, leafHash: leaf.leafHash, ...record })}\n`;
        }
        sent += leaves.length;
        if (leaves.length < EXPORT_PAGE || sent >= EXPORT_MAX) return;
        filter = { ...filter, beforeIndex: leaves[leaves.length - 1]!.index };
      }
    },

    async checkpoint() {
      const cp = await log.checkpoint();
      return {
        treeSize: cp.treeSize,
        rootHash: cp.rootHash,
        time: new Date(cp.time).toISOString(),
        jws: cp.jws,
      };
    },

    async leaf(index, scope) {
      const leaf = await store.leaf(index);
      if (leaf === undefined) return undefined;
      const record = parseRecord(leaf);
      // A limited DPO learns nothing of other participants' records, not even that the content was purged.
      if (scope.participants !== undefined && !visibleTo(record, scope)) return undefined;
      return { index, leafHash: leaf.leafHash, record };
    },

    async inclusion(index, treeSize) {
      return { index, treeSize, proof: await log.inclusionProof(index, treeSize) };
    },

    async consistency(first, second) {
      return { first, second, proof: await log.consistencyProof(first, second) };
    },

    processing() {
      return {
        gateway: deps.gatewayId,
        generatedAt: new Date(deps.clock.nowMs()).toISOString(),
        basis: 'DSGVO Art. 30: records of processing, generated from the loaded purpose-binding policies',
        activities: deps.policies.map((p) => ({
          policy: { id: p.id, version: p.version, hash: p.hash },
          description: p.description,
          controller: p.controller,
          recipient: named(p.consumer),
          recipients: p.recipients,
          provider: named(p.provider),
          evidenceType: p.evidenceType,
          purposes: [...p.purposes],
          legalBasis: p.legalBasis,
          dataCategories: [...p.dataCategories],
          ...(p.dataSubjects ? { dataSubjects: [...p.dataSubjects] } : {}),
          fields: [...p.fields],
          retention: p.retention,
          consentRequired: p.consent.required,
          previewRequired: p.preview.required,
        })),
      };
    },
  };

  /** The citizen's view of a transfer: who received which evidence, when, why, with which outcome. */
  function citizenView(leaf: StoredLeaf, record: TransferRecord): CitizenTransfer {
    return {
      exchangeId: record.exchangeId,
      time: record.time,
      outcome: record.outcome,
      ...(record.code ? { code: record.code } : {}),
      consumer: named(record.consumer),
      provider: named(record.provider),
      evidenceType: record.evidenceType,
      purpose: record.purpose,
      legalBasis: record.legalBasis,
      procedure: record.procedure,
      fields: record.fields,
      ...(record.preview ? { preview: record.preview } : {}),
      logIndex: leaf.index,
    };
  }

  async function transfersOf(idnr: string): Promise<CitizenTransfer[]> {
    const ref = deps.subjectRef(idnr);
    const out: CitizenTransfer[] = [];
    const seen = new Set<string>();
    let before: number | undefined;
    // Newest first; the latest record of each exchange says where it stands.
    for (;;) {
      const leaves = await store.recordsBySubject(ref, { limit: 1000, beforeIndex: before });
      for (const leaf of leaves) {
        const record = parseRecord(leaf);
        if (record === null || record.subjectRef !== ref || seen.has(record.exchangeId)) continue;
        seen.add(record.exchangeId);
        out.push(citizenView(leaf, record));
      }
      if (leaves.length < 1000) return out;
      before = leaves[leaves.length - 1]!.index;
    }
  }

  const citizen: CitizenAccessService = {
    async transfers(idnr) {
      return transfersOf(idnr);
    },
    async export(idnr) {
      return {
        generatedAt: new Date(deps.clock.nowMs()).toISOString(),
        controller: named(deps.gatewayId),
        basis: 'DSGVO Art. 15',
        subject: { idnr },
        transfers: await transfersOf(idnr),
        ...(await deps.citizenExtras(idnr)),
      };
    },
  };

  return { audit, citizen };
}
