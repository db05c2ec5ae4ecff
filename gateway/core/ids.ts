/**
 * Identifiers the design depends on (DESIGN.md "Data"): the IDNr (§ 1 IDNrG), DVDV-style participant ids and
 * message ids. All checks are on canonical ASCII: no Unicode digits, no whitespace, no numbers-as-JSON.
 */

const IDNR_SHAPE = /^[1-9][0-9]{10}$/;

/**
 * True if `value` is an IDNr: a string of 11 ASCII digits, no leading zero, whose last digit is the
 * ISO/IEC 7064 MOD 11,10 check digit of the first ten.
 */
export function isValidIdnr(value: unknown): value is string {
  if (typeof value !== 'string' || !IDNR_SHAPE.test(value)) return false;
  let product = 10;
  for (let i = 0; i < 10; i++) {
    let sum = (value.charCodeAt(i) - 48 + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  const check = (11 - product) % 10;
  return check === value.charCodeAt(10) - 48;
}

/** Participant ids are `praefix:kennung` as in the DVDV, e.g. `ags:09999001`, `psw:09999001`, `oog:demo-gateway`. */
const PARTICIPANT_ID = /^[a-z][a-z0-9]{1,15}:[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isParticipantId(value: unknown): value is string {
  return typeof value === 'string' && PARTICIPANT_ID.test(value);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Lower-case canonical UUID (RFC 9562), the form message ids and exchange ids take on the wire. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** `kid` values are base64url SHA-256 thumbprints (43 chars); anything else is refused before any lookup. */
const KID = /^[A-Za-z0-9_-]{43}$/;

export function isKid(value: unknown): value is string {
  return typeof value === 'string' && KID.test(value);
}
