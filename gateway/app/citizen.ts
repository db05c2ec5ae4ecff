/**
 * The citizen's consents and previews as the API and the portal offer them: the citizen is named by IDNr and
 * the core sees only the keyed subject reference; every consent change comes with the gateway's signed receipt;
 * previews carry the participants' names.
 */
import type { ConsentService as CoreConsentService } from '../core/consent/index.js';
import type { TrustStore } from '../core/ports.js';
import type { PreviewService as CorePreviewService, PreviewView } from '../core/preview/index.js';
import type { ConsentRecord } from '../core/ports.js';
import type { ConsentService, PreviewItem, PreviewService } from './contracts.js';

export interface CitizenAppDeps {
  readonly consents: Pick<CoreConsentService, 'list' | 'give' | 'withdraw'>;
  readonly previews: Pick<CorePreviewService, 'list' | 'decide' | 'cancelForConsent'>;
  readonly subjectRef: (idnr: string) => string;
  readonly trust: Pick<TrustStore, 'participant'>;
  /** The gateway's signed receipt of a consent's latest state (app/consent-requests.ts). */
  readonly receiptOf: (consent: ConsentRecord) => Promise<string>;
}

export function createCitizenConsents(deps: CitizenAppDeps): ConsentService {
  const { consents, subjectRef, receiptOf } = deps;
  return {
    list: (idnr) => consents.list(subjectRef(idnr)),
    async give(idnr, request) {
      const consent = await consents.give(subjectRef(idnr), {
        consumer: request.consumer,
        evidenceTypes: request.evidenceTypes,
        purpose: request.purpose,
        validUntil: request.validUntil === undefined ? undefined : new Date(request.validUntil).toISOString(),
        singleUse: request.singleUse,
      });
      return { consent, receipt: await receiptOf(consent) };
    },
    async withdraw(idnr, id) {
      const consent = await consents.withdraw(subjectRef(idnr), id);
      if (consent === undefined) return undefined;
      // For the future (DSGVO Art. 7(3)): evidence still waiting for preview under it is withheld now.
      if (consent.events.some((e) => e.type === 'withdrawn')) {
        await deps.previews.cancelForConsent(consent.id, 'ERR_CONSENT_WITHDRAWN');
      }
      return { consent, receipt: await receiptOf(consent) };
    },
  };
}

export function createCitizenPreviews(deps: CitizenAppDeps): PreviewService {
  const { previews, subjectRef, trust } = deps;
  return {
    list: async (idnr) => (await previews.list(subjectRef(idnr))).map((view) => toPreviewItem(view, trust)),
    decide: async (idnr, exchangeId, decision) =>
      toPreviewItem(await previews.decide(subjectRef(idnr), exchangeId, decision), trust),
  };
}

/** A held exchange as the citizen's preview list shows it, with the participants' names. */
export function toPreviewItem(view: PreviewView, trust: Pick<TrustStore, 'participant'>): PreviewItem {
  const { entry, content } = view;
  const named = (id: string) => {
    const name = trust.participant(id)?.name;
    return { id, ...(name === undefined ? {} : { name }) };
  };
  return {
    exchangeId: entry.exchangeId,
    state: entry.state,
    consumer: named(entry.consumer),
    provider: named(entry.provider),
    evidenceType: entry.evidenceType,
    purpose: entry.purpose,
    legalBasis: entry.legalBasis,
    procedure: entry.procedure,
    heldAt: entry.heldAt,
    decideBy: entry.decideBy,
    ...(entry.decidedAt === undefined ? {} : { decidedAt: entry.decidedAt }),
    ...(content === undefined ? {} : { fields: content.fields, data: content.data }),
  };
}
