/**
 * The one assertion every "bad input and faults" case of issue 2 makes: the stated status and code as
 * problem+json, nothing (more) reached the provider, no `released` record exists for the message, and a
 * `refused` record with that code exists exactly when the envelope could be read.
 */
import { expect } from 'chai';
import type { HttpAnswer, TestGateway } from '../helpers/start-test-gateway.js';

export interface ExpectedRefusal {
  readonly status: number;
  readonly code: string;
  /** The request's jti, to find its log records. */
  readonly messageId: string;
  /** Was the envelope readable, so that a refused record must exist? */
  readonly logged: boolean;
  /** provider.requests before the request was sent; default: the provider must have received nothing at all. */
  readonly providerBefore?: number;
  /** Requests the provider may have received for it (provider faults: the forwarded request); default 0. */
  readonly forwarded?: number;
}

/** Asserts a refusal end to end: answer, provider count and transfer log. */
export async function expectRefusal(
  g: TestGateway,
  answer: HttpAnswer,
  expected: ExpectedRefusal,
): Promise<void> {
  expect(answer.headers.get('content-type') ?? '', 'media type').to.match(/^application\/problem\+json/);
  expect({ status: answer.status, code: answer.json?.['code'] }).to.deep.equal({
    status: expected.status,
    code: expected.code,
  });
  if (g.provider) {
    expect(
      g.provider.requests - (expected.providerBefore ?? 0),
      'requests that reached the provider',
    ).to.equal(expected.forwarded ?? 0);
  }
  const records = await g.recordsOfMessage(expected.messageId);
  expect(
    records.filter((r) => r.outcome === 'released'),
    'released records',
  ).to.have.length(0);
  const refused = records.filter((r) => r.outcome === 'refused');
  if (expected.logged) {
    expect(
      refused.map((r) => r.code),
      'refused record',
    ).to.deep.equal([expected.code]);
  } else {
    expect(records, 'records of an unreadable message').to.have.length(0);
  }
}
