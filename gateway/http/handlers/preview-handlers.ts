/**
 * Handlers of the citizen's preview operations (PROTOCOL.md §3, § 5 Abs. 2 EGovG). The citizen is always the
 * authenticated subject; another citizen's exchange id gets the same 404 as an unknown one.
 */
import type { OperationHandler } from '../openapi-adapter.js';
import { toWirePreview, type PreviewService } from '../../app/index.js';

function citizenOf(principals: Readonly<Record<string, unknown>>): string {
  return (principals['citizenBearer'] as { idnr: string }).idnr;
}

export function createPreviewHandlers(previews: PreviewService): Record<string, OperationHandler> {
  return {
    async listMyPreviews({ principals }) {
      const items = await previews.list(citizenOf(principals));
      return { status: 200, json: { previews: items.map(toWirePreview) } };
    },

    async decidePreview({ principals, params, body }) {
      const { decision } = body as { decision: 'approve' | 'reject' };
      const item = await previews.decide(citizenOf(principals), params['exchangeId']!, decision);
      return { status: 200, json: { preview: toWirePreview(item) } };
    },
  };
}
