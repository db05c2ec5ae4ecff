/**
 * Handlers of the DPO and auditor calls (PROTOCOL.md §4) and of the citizen's view of the log (§3). Query
 * parameters were validated against the OpenAPI document (unknown ones refused); numbers arrive as text.
 */
import { GatewayError } from '../../core/index.js';
import type { OperationContext, OperationHandler } from '../openapi-adapter.js';
import { TRANSFER_FILTERS } from '../../app/index.js';
import type { AuditService, CitizenAccessService, DpoScope, TransferQuery } from '../../app/index.js';

const FILTERS = [...TRANSFER_FILTERS, 'cursor'] as const;

function queryOf(ctx: OperationContext): Record<string, unknown> {
  return ctx.req.query as Record<string, unknown>;
}

/** A non-negative integer query parameter (2^53 - 1 at most); ERR_REQUEST_MALFORMED otherwise. */
function integer(value: unknown, name: string): number {
  const text = typeof value === 'number' ? String(value) : value;
  if (
    typeof text !== 'string' ||
    !/^(0|[1-9][0-9]{0,15})$/.test(text) ||
    !Number.isSafeInteger(Number(text))
  ) {
    throw new GatewayError('ERR_REQUEST_MALFORMED', `${name} must be a non-negative integer`);
  }
  return Number(text);
}

function transferQuery(ctx: OperationContext): TransferQuery {
  const q = queryOf(ctx);
  const out: Record<string, unknown> = {};
  for (const name of FILTERS) {
    const value = q[name];
    if (value === undefined) continue;
    if (typeof value !== 'string')
      throw new GatewayError('ERR_REQUEST_MALFORMED', `${name} given more than once`);
    out[name] = value;
  }
  if (q['limit'] !== undefined) out['limit'] = integer(q['limit'], 'limit');
  return out as TransferQuery;
}

function scopeOf(principals: Readonly<Record<string, unknown>>): DpoScope {
  return principals['dpoBearer'] as DpoScope;
}

function citizenOf(principals: Readonly<Record<string, unknown>>): string {
  return (principals['citizenBearer'] as { idnr: string }).idnr;
}

export function createAuditHandlers(
  audit: AuditService,
  citizen: CitizenAccessService,
): Record<string, OperationHandler> {
  return {
    async listTransfers(ctx) {
      return { status: 200, json: await audit.list(transferQuery(ctx), scopeOf(ctx.principals)) };
    },

    async getTransfer(ctx) {
      const transfer = await audit.get(ctx.params['exchangeId']!, scopeOf(ctx.principals));
      if (transfer === undefined) throw new GatewayError('ERR_NOT_FOUND');
      return { status: 200, json: transfer };
    },

    async exportTransfers(ctx) {
      const format = queryOf(ctx)['format'] === 'jsonl' ? 'jsonl' : 'csv';
      const query = transferQuery(ctx);
      // Validate the filter before the first byte is sent: errors after that can only cut the body.
      await audit.list({ ...query, limit: 1 }, scopeOf(ctx.principals));
      const stamp = new Date().toISOString().slice(0, 10);
      return {
        status: 200,
        contentType: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
        headers: { 'content-disposition': `attachment; filename="transfers-${stamp}.${format}"` },
        stream: audit.export(query, scopeOf(ctx.principals), format),
      };
    },

    async getCheckpoint() {
      return { status: 200, json: await audit.checkpoint() };
    },

    async getLeaf(ctx) {
      const leaf = await audit.leaf(integer(ctx.params['index'], 'index'), scopeOf(ctx.principals));
      if (leaf === undefined) throw new GatewayError('ERR_NOT_FOUND');
      return { status: 200, json: leaf };
    },

    async getInclusionProof(ctx) {
      const q = queryOf(ctx);
      return {
        status: 200,
        json: await audit.inclusion(integer(q['index'], 'index'), integer(q['treeSize'], 'treeSize')),
      };
    },

    async getConsistencyProof(ctx) {
      const q = queryOf(ctx);
      return {
        status: 200,
        json: await audit.consistency(integer(q['first'], 'first'), integer(q['second'], 'second')),
      };
    },

    getProcessingReport() {
      return { status: 200, json: audit.processing() };
    },

    async listMyTransfers(ctx) {
      return { status: 200, json: { transfers: await citizen.transfers(citizenOf(ctx.principals)) } };
    },

    async exportMyData(ctx) {
      const stamp = new Date().toISOString().slice(0, 10);
      return {
        status: 200,
        json: await citizen.export(citizenOf(ctx.principals)),
        headers: { 'content-disposition': `attachment; filename="meine-daten-${stamp}.json"` },
      };
    },
  };
}
