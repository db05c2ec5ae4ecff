/** Handlers of the operations endpoints (PROTOCOL.md §5): liveness, readiness, metrics, public keys. */
import { GatewayError } from '../../core/index.js';
import type { Registry } from 'prom-client';
import type { OperationHandler } from '../openapi-adapter.js';
import type { HealthService, HttpServices } from '../../app/index.js';

const PRIVATE_JWK_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);

export function createOperationsHandlers(deps: {
  readonly health: HealthService;
  readonly jwks: HttpServices['jwks'];
  readonly registry: Registry;
}): Record<string, OperationHandler> {
  return {
    getHealth() {
      return { status: 200, json: { status: 'ok' } };
    },

    async getReadiness() {
      let result: Awaited<ReturnType<HealthService['ready']>>;
      try {
        result = await deps.health.ready();
      } catch (cause) {
        return { problem: new GatewayError('ERR_LOG_UNAVAILABLE', 'not ready', { cause }) };
      }
      const checks = { ...result.checks };
      if (!result.ok) {
        // Not ready means no exchange could be logged and released: the gateway fails closed.
        return {
          problem: new GatewayError('ERR_LOG_UNAVAILABLE', 'not ready'),
          options: { extensions: { checks } },
        };
      }
      return { status: 200, json: { status: 'ready', checks } };
    },

    async getMetrics() {
      return { status: 200, text: await deps.registry.metrics(), contentType: deps.registry.contentType };
    },

    getJwks() {
      // Defence in depth: whatever the key source hands over, private members never leave (RFC 7518 §6).
      const keys = deps
        .jwks()
        .keys.map((key) =>
          Object.fromEntries(Object.entries(key).filter(([name]) => !PRIVATE_JWK_MEMBERS.has(name))),
        );
      return { status: 200, json: { keys }, headers: { 'Cache-Control': 'public, max-age=300' } };
    },
  };
}
