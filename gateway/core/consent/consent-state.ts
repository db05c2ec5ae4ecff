/** The state of a consent, derived from its append-only events and its end date (ISO/IEC TS 27560 lifecycle). */
import type { ConsentRecord } from '../ports.js';

export type ConsentState = 'active' | 'used' | 'withdrawn' | 'expired' | 'declined';

/**
 * Derives the state at `nowMs`. Precedence, strongest first: withdrawn (a withdrawal is final, whatever else
 * happened), declined, used (single-use consents only: a standing consent stays active however often used),
 * expired (an 'expired' event, or `nowMs` at or after validUntil), active. A record without a 'given' event
 * never was consent and counts as declined.
 * Spec: PROTOCOL.md §3, DESIGN.md stage 7. Throws nothing.
 */
export function consentState(record: ConsentRecord, nowMs: number): ConsentState {
  const types = new Set(record.events.map((e) => e.type));
  if (types.has('withdrawn')) return 'withdrawn';
  if (types.has('declined') || !types.has('given')) return 'declined';
  if (record.singleUse && types.has('used')) return 'used';
  if (types.has('expired') || (record.validUntil !== null && nowMs >= record.validUntil)) return 'expired';
  return 'active';
}
