/** The Elterngeldstelle's signed XÖV request for a citizen's Geburtsurkunde (held for preview by its policy). */
import { randomUUID } from 'node:crypto';
import { signXoevRequest } from '../../gateway/core/envelope/xoev/index.js';
import {
  ELTERNGELDSTELLE,
  ERIKA,
  exampleSigner,
  GATEWAY_ID,
  STANDESAMT,
  type HttpAnswer,
  type TestGateway,
} from './start-test-gateway.js';

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
