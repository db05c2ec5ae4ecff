/** Requests the Elterngeldstelle sends in the portal's tests, signed with its example key. */
import { randomUUID } from 'node:crypto';
import { signCompactJws } from '../../gateway/core/envelope/index.js';
import { signXoevRequest } from '../../gateway/core/envelope/xoev/index.js';
import {
  ELTERNGELDSTELLE,
  ERIKA,
  LENA,
  exampleSigner,
  GATEWAY_ID,
  STANDESAMT,
  type HttpAnswer,
  type TestGateway,
} from './start-test-gateway.js';

/** Its signed XÖV request for a citizen's Geburtsurkunde (held for preview by its policy). */
export function birthCertificateRequest(g: TestGateway, idnr = ERIKA): string {
  return signXoevRequest(
    { signer: exampleSigner(ELTERNGELDSTELLE), clock: g.clock },
    { to: { id: GATEWAY_ID, name: 'Once-Only Gateway (Demo)' }, messageId: randomUUID() },
    {
      evidenceType: 'geburtsurkunde',
      provider: STANDESAMT,
      subjectIdnr: idnr,
      purpose: 'elterngeld-antrag',
      procedure: { reference: 'EG-2026/0815' },
      actor: 'sachbearbeitung-3',
    },
  );
}

/** Sends birthCertificateRequest to the gateway. */
export function askForBirthCertificate(g: TestGateway, idnr = ERIKA): Promise<HttpAnswer> {
  return g.request('POST', '/v1/evidence-requests', {
    body: birthCertificateRequest(g, idnr),
    contentType: 'application/xml',
  });
}

/**
 * Its signed consent request (docs/citizen.md) for Lena's Meldebescheinigung, claims overridden by `overrides`;
 * answers 201 with the request's id and approvalUrl.
 */
export async function sendConsentRequest(
  g: TestGateway,
  overrides: Record<string, unknown> = {},
): Promise<HttpAnswer> {
  const iat = Math.floor(g.clock.nowMs() / 1000);
  return g.request('POST', '/v1/consent-requests', {
    contentType: 'application/jose',
    body: await signCompactJws(exampleSigner(ELTERNGELDSTELLE), 'consent-request+jwt', {
      iss: ELTERNGELDSTELLE,
      aud: GATEWAY_ID,
      iat,
      exp: iat + 120,
      jti: randomUUID(),
      subject: { idnr: LENA },
      evidenceTypes: ['meldebescheinigung'],
      purpose: 'elterngeld-antrag',
      procedure: { reference: 'EG-2026/0816' },
      notice: { de: 'Hinweis' },
      returnUrl: 'https://elterngeld.beispielkreis.example/antrag/einwilligung',
      ...overrides,
    }),
  });
}
