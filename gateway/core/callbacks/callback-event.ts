/**
 * The callback event: checked once when it is enqueued and serialised as the callback's body (docs/callbacks.md).
 */
import { canonicalJson } from '../canonical-json.js';
import { GatewayError, isErrorCode } from '../errors.js';
import { isParticipantId } from '../ids.js';
import type { CallbackEvent, CallbackEventType, CallbackStatus } from '../ports.js';

const TYPES: readonly CallbackEventType[] = ['exchange.finished', 'consent-request.finished'];
const STATUSES: Readonly<Record<CallbackEventType, readonly CallbackStatus[]>> = {
  'exchange.finished': ['released', 'refused', 'preview-rejected', 'expired'],
  'consent-request.finished': ['approved', 'declined', 'expired'],
};
/** Exchange ids and consent request ids are UUIDs today; this only keeps the body small and printable. */
const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ISO_UTC = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,3})?Z$/;

/**
 * Checks a callback event and returns a frozen copy holding only the known members (issue 5 item 4). Throws
 * ERR_INTERNAL when a member is missing or out of range: events come from the gateway itself, so a bad one is
 * the gateway's bug, never the consumer's.
 */
export function checkCallbackEvent(event: CallbackEvent): CallbackEvent {
  const bad = (what: string): never => {
    throw new GatewayError('ERR_INTERNAL', `callback event: ${what}`);
  };
  if (typeof event !== 'object' || event === null) bad('not an object');
  if (!isParticipantId(event.consumer)) bad('consumer is not a participant id');
  if (!TYPES.includes(event.type)) bad('unknown type');
  if (typeof event.id !== 'string' || !ID.test(event.id)) bad('id malformed');
  if (!STATUSES[event.type].includes(event.status)) bad(`status not one of ${event.type}`);
  if (event.code !== undefined && !isErrorCode(event.code)) bad('code is not an error code');
  if (typeof event.at !== 'string' || !ISO_UTC.test(event.at) || Number.isNaN(Date.parse(event.at))) {
    bad('at is not an ISO 8601 UTC time');
  }
  return Object.freeze({
    consumer: event.consumer,
    type: event.type,
    id: event.id,
    status: event.status,
    ...(event.code === undefined ? {} : { code: event.code }),
    at: event.at,
  });
}

/** The callback body: the event as canonical JSON (sorted members), the exact bytes that are signed. */
export function callbackBody(event: CallbackEvent): string {
  return canonicalJson(checkCallbackEvent(event));
}
