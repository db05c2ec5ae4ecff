/** Identifier checks on claims (DESIGN.md exchange step 5: identifiers are canonical ASCII). */
import { GatewayError } from '../errors.js';
import { isParticipantId, isValidIdnr } from '../ids.js';

/**
 * If `subject.idnr` is present it must be an IDNr: a string of 11 ASCII digits with a valid check digit — so a
 * JSON number, Arabic-Indic or fullwidth digits and a wrong check digit all fail here. An absent subject or idnr
 * is left to the schema. Throws ERR_IDENTIFIER.
 */
export function checkSubjectIdnr(claims: Record<string, unknown>): void {
  const { subject } = claims;
  if (typeof subject === 'object' && subject !== null && Object.hasOwn(subject, 'idnr')) {
    if (!isValidIdnr((subject as Record<string, unknown>).idnr)) {
      throw new GatewayError('ERR_IDENTIFIER', '/subject/idnr not a valid IDNr');
    }
  }
}

/** Each named claim, if present, must be a participant id (`praefix:kennung`). Throws ERR_IDENTIFIER. */
export function checkParticipantClaims(claims: Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) {
    if (Object.hasOwn(claims, name) && !isParticipantId(claims[name])) {
      throw new GatewayError('ERR_IDENTIFIER', `/${name} not a participant id`);
    }
  }
}
