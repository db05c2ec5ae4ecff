/**
 * Handlers of consent requests (docs/citizen.md): the agency's signed request and status call, and the
 * citizen's view and answer. The citizen is always the authenticated subject; another citizen's request id gets
 * the same 404 as an unknown one.
 */
import { GatewayError } from '../../core/index.js';
import type { OperationHandler } from '../openapi-adapter.js';
import type { ConsentRequestService } from '../../app/index.js';

function citizenOf(principals: Readonly<Record<string, unknown>>): string {
  return (principals['citizenBearer'] as { idnr: string }).idnr;
}

export function createConsentRequestHandlers(
  requests: ConsentRequestService,
): Record<string, OperationHandler> {
  return {
    async submitConsentRequest({ body }) {
      if (!Buffer.isBuffer(body) || body.length === 0) {
        throw new GatewayError('ERR_REQUEST_MALFORMED', 'the request body is empty');
      }
      return { status: 201, json: await requests.submit(body) };
    },

    async getConsentRequestStatus({ params, principals }) {
      const { agency } = principals['agencyBearer'] as { agency: string };
      const status = await requests.status(agency, params['id']!);
      if (status === undefined) throw new GatewayError('ERR_NOT_FOUND');
      return { status: 200, json: status };
    },

    async listMyConsentRequests({ principals }) {
      return { status: 200, json: { consentRequests: await requests.listMine(citizenOf(principals)) } };
    },

    async getMyConsentRequest({ params, principals }) {
      const request = await requests.getMine(citizenOf(principals), params['id']!);
      if (request === undefined) throw new GatewayError('ERR_NOT_FOUND');
      return { status: 200, json: request };
    },

    async answerConsentRequest({ params, principals, body }) {
      const { decision, token } = body as { decision: 'approve' | 'decline'; token: string };
      return {
        status: 200,
        json: await requests.answer(citizenOf(principals), params['id']!, decision, token),
      };
    },
  };
}
