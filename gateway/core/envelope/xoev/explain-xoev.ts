/**
 * Offline verification of an XÖV message with an explanation (issue 3 "CLI": `oog xoev verify <file>` checks a
 * message and explains what failed). Runs the same pipeline as the gateway's readers (openSignedXoev), for any
 * of the project's message types, and reports the steps that passed, the step that failed with its PROTOCOL.md
 * §6 code, and what the header says (as signed, or as merely claimed when the signature did not verify).
 */
import { GatewayError, type ErrorCode } from '../../errors.js';
import type { Clock, Role, TrustStore } from '../../ports.js';
import { gateXml } from './gate-xml.js';
import { openSignedXoev, XOEV_STEPS, type XoevStep } from './open-signed-xoev.js';
import { parseXml, type XoevSchemaFiles, type XoevSchemas } from './parse-xml.js';
import { readXoevHeader, type XoevHeader } from './read-header.js';
import type { XoevMessageType } from './xoev-constants.js';
import { allowListOf, gateLimitsOf, schemasOf, seconds, type XoevReaderLimits } from './xoev-options.js';

export interface XoevExplainOptions extends XoevReaderLimits {
  readonly schemas: XoevSchemaFiles | XoevSchemas;
  /** Check that `leser` names this participant (e.g. the gateway); unset: not checked. */
  readonly self?: string;
  /** Check erstellungszeitpunkt against this clock (maxAge, skew); unset: not checked (an old file stays valid). */
  readonly clock?: Clock;
  readonly maxAgeSeconds?: number;
  readonly skewSeconds?: number;
}

export interface XoevExplanation {
  readonly ok: boolean;
  /** The refusal's code, if not ok. */
  readonly code?: ErrorCode;
  /** The refusal's safe detail, if not ok. */
  readonly detail?: string;
  /** The step that failed, if not ok. */
  readonly failedStep?: XoevStep;
  /** The steps that passed, in order. */
  readonly passed: readonly XoevStep[];
  /** Steps not checked because the options did not ask for them (leser, freshness). */
  readonly skipped: readonly XoevStep[];
  readonly messageType?: XoevMessageType;
  /** True if `header` was read from the signed content; false if it is only what the message claims. */
  readonly headerSigned: boolean;
  readonly header?: XoevHeader;
  readonly test?: boolean;
  /** The key that verified the signature. */
  readonly signer?: { readonly participantId: string; readonly kid: string };
}

/** Which role the author of each message type must hold. */
const ROLE_OF: Readonly<Record<XoevMessageType, readonly Role[]>> = {
  nachweisanfrage: ['consumer'],
  weiterleitung: ['gateway'],
  nachweisantwort: ['provider'],
  rueckweisung: ['gateway', 'provider'],
};

function claimedHeader(xml: string, options: XoevExplainOptions): XoevHeader | undefined {
  try {
    return readXoevHeader(parseXml(gateXml(xml, gateLimitsOf(options, 1_048_576))));
  } catch {
    return undefined;
  }
}

/**
 * Verifies `xml` against `trust` and says what failed (PROTOCOL.md §1b rules, every message type of
 * schemas/xoev/oog-nachweis.xsd). Never throws for a bad message: the answer is an XoevExplanation. Throws
 * TypeError on bad options and Error if the XSDs do not compile.
 */
export function explainXoev(xml: string, trust: TrustStore, options: XoevExplainOptions): XoevExplanation {
  const passed: XoevStep[] = [];
  const skipped: XoevStep[] = [];
  if (options.self === undefined) skipped.push('leser');
  if (options.clock === undefined) skipped.push('freshness');
  const open = {
    trust,
    clock: options.clock,
    schemas: schemasOf(options.schemas),
    limits: gateLimitsOf(options, 1_048_576),
    allow: allowListOf(options),
    types: ['nachweisanfrage', 'weiterleitung', 'nachweisantwort', 'rueckweisung'] as const,
    roles: ['consumer', 'gateway', 'provider'] as const,
    self: options.self,
    maxAgeSeconds: seconds('maxAgeSeconds', options.maxAgeSeconds ?? 300),
    skewSeconds: seconds('skewSeconds', options.skewSeconds ?? 60),
    onStep: (step: XoevStep) => {
      if (!skipped.includes(step)) passed.push(step);
    },
  };
  const failedAt = (): XoevStep | undefined =>
    XOEV_STEPS.find((step) => !passed.includes(step) && !skipped.includes(step));

  try {
    const opened = openSignedXoev(xml, open);
    const participant = trust.participant(opened.key.participantId);
    const base = {
      messageType: opened.type,
      headerSigned: true,
      header: opened.header,
      test: opened.test,
      signer: { participantId: opened.key.participantId, kid: opened.key.kid },
      skipped,
    };
    if (!ROLE_OF[opened.type].some((role) => participant?.roles.includes(role))) {
      return {
        ok: false,
        code: 'ERR_TRUST_SENDER_MISMATCH',
        detail: `autor does not hold the ${ROLE_OF[opened.type].join('/')} role this message type needs`,
        failedStep: 'role',
        passed: passed.filter((step) => step !== 'role'),
        ...base,
      };
    }
    return { ok: true, passed, ...base };
  } catch (error) {
    const refusal =
      error instanceof GatewayError ? error : new GatewayError('ERR_INTERNAL', undefined, { cause: error });
    return {
      ok: false,
      code: refusal.code,
      detail: refusal.detail,
      failedStep: failedAt(),
      passed,
      skipped,
      headerSigned: false,
      header: claimedHeader(xml, options),
    };
  }
}
