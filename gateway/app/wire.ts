/**
 * Wire forms (openapi.yaml schemas) of the application's records, shared by the HTTP answers, the citizen's
 * Art. 15 export and the consent-request answers: ISO times, and never a subject reference.
 */
import type { ConsentRecord } from '../core/index.js';
import type { PreviewItem, WireConsent } from './contracts.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/** The wire form of a consent (openapi.yaml `Consent`): ISO times, and never the subject reference. */
export function toWireConsent(record: ConsentRecord): WireConsent {
  return {
    id: record.id,
    consumer: record.consumer,
    evidenceTypes: [...record.evidenceTypes],
    purpose: record.purpose,
    ...(record.validUntil === null ? {} : { validUntil: iso(record.validUntil) }),
    singleUse: record.singleUse,
    createdAt: iso(record.createdAt),
    events: record.events.map((event) => ({
      type: event.type,
      at: iso(event.at),
      by: event.by,
      ...(event.exchangeId === undefined ? {} : { exchangeId: event.exchangeId }),
    })),
    ...(record.requestId === undefined ? {} : { requestId: record.requestId }),
    ...(record.noticeHash === undefined ? {} : { noticeHash: record.noticeHash }),
  };
}

/** The wire form of a held preview (openapi.yaml `Preview`): ISO times; data only while pending. */
export function toWirePreview(item: PreviewItem): Record<string, unknown> {
  return {
    exchangeId: item.exchangeId,
    state: item.state,
    consumer: { ...item.consumer },
    provider: { ...item.provider },
    evidenceType: item.evidenceType,
    purpose: item.purpose,
    legalBasis: item.legalBasis,
    procedure: { ...item.procedure },
    heldAt: iso(item.heldAt),
    decideBy: iso(item.decideBy),
    ...(item.decidedAt === undefined ? {} : { decidedAt: iso(item.decidedAt) }),
    ...(item.fields === undefined ? {} : { fields: [...item.fields] }),
    ...(item.data === undefined ? {} : { data: item.data }),
  };
}
