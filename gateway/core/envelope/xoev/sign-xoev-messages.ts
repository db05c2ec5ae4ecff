/**
 * Building and signing in one call, for the parties that write XÖV messages: a consumer's request (the CLI's
 * `oog send --xoev`), a provider's evidence (the demo Standesamt) and a refusal (PROTOCOL.md §1b, §1c, §6).
 */
import { randomUUID } from 'node:crypto';
import type { Clock, Signer } from '../../ports.js';
import {
  buildXoevEvidence,
  buildXoevRejection,
  buildXoevRequest,
  type XoevEvidenceContent,
  type XoevParticipantRef,
  type XoevRejectionContent,
  type XoevRequestContent,
} from './build-xoev.js';
import { signXoev } from './sign-xoev.js';

export interface XoevSigningContext {
  readonly signer: Signer;
  readonly clock: Clock;
  /** The signer's display name in the header; default its participant id. */
  readonly name?: string;
  /** Fresh message ids; default crypto.randomUUID. */
  readonly newId?: () => string;
}

export interface XoevAddressing {
  /** The reader (`leser`) of the message. */
  readonly to: XoevParticipantRef;
  /** Mark as a test message (root attribute `test`). */
  readonly test?: boolean;
  /** nachrichtenUUID to use instead of a fresh one (lower-case UUID). */
  readonly messageId?: string;
}

function header(context: XoevSigningContext, addressing: XoevAddressing) {
  return {
    messageId: addressing.messageId ?? (context.newId ?? randomUUID)(),
    issuedAtMs: context.clock.nowMs(),
    autor: { id: context.signer.participantId, name: context.name ?? context.signer.participantId },
    leser: addressing.to,
    test: addressing.test,
  };
}

/**
 * A consumer's signed evidence request `nachweisanfrage.0101` to the gateway (`to`), PROTOCOL.md §1b. Throws
 * TypeError on bad ids, characters XML cannot carry, or an EdDSA signer.
 */
export function signXoevRequest(
  context: XoevSigningContext,
  addressing: XoevAddressing,
  content: XoevRequestContent,
): string {
  return signXoev(context.signer, buildXoevRequest(header(context, addressing), content));
}

/**
 * A provider's signed evidence `nachweisantwort.0201` to the gateway (`to`), PROTOCOL.md §1c. `content.data`
 * holds only the requested fields. Throws TypeError as signXoevRequest, or for data of the wrong shape.
 */
export function signXoevEvidence(
  context: XoevSigningContext,
  addressing: XoevAddressing,
  content: XoevEvidenceContent,
): string {
  return signXoev(context.signer, buildXoevEvidence(header(context, addressing), content));
}

/** A signed refusal `rueckweisung.0901` with its PROTOCOL.md §6 code. Throws TypeError as signXoevRequest. */
export function signXoevRejection(
  context: XoevSigningContext,
  addressing: XoevAddressing,
  content: XoevRejectionContent,
): string {
  return signXoev(context.signer, buildXoevRejection(header(context, addressing), content));
}
