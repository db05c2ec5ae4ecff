/** Handlers of the evidence-request operations (PROTOCOL.md §1). */
import { GatewayError } from '../../core/index.js';
import { mediaTypeOf } from '../openapi-adapter.js';
import type { OperationHandler } from '../openapi-adapter.js';
import { PROBLEM_MEDIA_TYPE } from '../problem.js';
import type { EvidenceMediaType, ExchangeService } from '../../app/index.js';

/** POST /v1/evidence-requests — hands the exact body bytes to the exchange; ERR_REQUEST_MALFORMED if empty. */
export function createExchangeHandlers(exchange: ExchangeService): Record<string, OperationHandler> {
  return {
    async submitEvidenceRequest({ req, body }) {
      if (!Buffer.isBuffer(body) || body.length === 0) {
        throw new GatewayError('ERR_REQUEST_MALFORMED', 'the request body is empty');
      }
      // The adapter has already refused any media type the document does not declare for this operation.
      const contentType = mediaTypeOf(req) as EvidenceMediaType;
      let result: Awaited<ReturnType<ExchangeService['submit']>>;
      try {
        result = await exchange.submit({
          body,
          contentType,
          requestId: String(req.id),
          source: req.socket.remoteAddress ?? 'unknown',
        });
      } catch (error) {
        // An XÖV sender gets its refusal in XÖV (docs/xoev.md) unless it asked for problem+json.
        const render = exchange.renderRefusal?.bind(exchange);
        if (contentType !== 'application/xml' || render === undefined) throw error;
        // A client that prefers problem+json (or plain JSON, which it also is) gets the problem document.
        const preferred = req.accepts(['application/xml', PROBLEM_MEDIA_TYPE, 'application/json']);
        if (preferred === PROBLEM_MEDIA_TYPE || preferred === 'application/json') throw error;
        return { problem: error, options: { render: (problem) => render(error, problem) } };
      }
      return { status: result.status, json: result.body };
    },

    async getEvidenceRequest({ params, principals }) {
      const { agency } = principals['agencyBearer'] as { agency: string };
      const state = await exchange.get({ exchangeId: params['exchangeId']!, agency });
      if (state === undefined) throw new GatewayError('ERR_NOT_FOUND');
      return { status: 200, json: state };
    },
  };
}
