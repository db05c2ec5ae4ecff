/**
 * Handlers of the citizen's consent operations (PROTOCOL.md §3). The citizen is always the authenticated
 * subject (SECURITY.md "HTTP"): an IDNr in the query is never read, and the body schema has no member for one.
 */
import { GatewayError } from '../../core/index.js';
import type { OperationHandler } from '../openapi-adapter.js';
import { toWireConsent, type ConsentService } from '../../app/index.js';

interface ConsentBody {
  consumer: string;
  evidenceTypes: string[];
  purpose: string;
  validUntil?: string;
  singleUse?: boolean;
}

function citizenOf(principals: Readonly<Record<string, unknown>>): string {
  return (principals['citizenBearer'] as { idnr: string }).idnr;
}

export function createConsentHandlers(consents: ConsentService): Record<string, OperationHandler> {
  return {
    async listMyConsents({ principals }) {
      const records = await consents.list(citizenOf(principals));
      return { status: 200, json: { consents: records.map(toWireConsent) } };
    },

    async giveConsent({ principals, body }) {
      const request = body as ConsentBody;
      const validUntil = request.validUntil === undefined ? undefined : Date.parse(request.validUntil);
      if (validUntil !== undefined && !Number.isFinite(validUntil)) {
        throw new GatewayError('ERR_SCHEMA', '/body/validUntil: must be a date-time');
      }
      const given = await consents.give(citizenOf(principals), {
        consumer: request.consumer,
        evidenceTypes: request.evidenceTypes,
        purpose: request.purpose,
        ...(validUntil === undefined ? {} : { validUntil }),
        singleUse: request.singleUse ?? false,
      });
      return { status: 201, json: { consent: toWireConsent(given.consent), receipt: given.receipt } };
    },

    async withdrawConsent({ principals, params }) {
      const withdrawn = await consents.withdraw(citizenOf(principals), params['id']!);
      // Unknown and someone else's consent: the same answer, so ids cannot be probed.
      if (withdrawn === undefined) throw new GatewayError('ERR_NOT_FOUND');
      return {
        status: 200,
        json: { consent: toWireConsent(withdrawn.consent), receipt: withdrawn.receipt },
      };
    },
  };
}
