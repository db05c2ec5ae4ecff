/**
 * Prometheus metrics of the HTTP layer (PROTOCOL.md §5). Labels are bounded: the OpenAPI path template (never
 * the URL, which may carry ids), the method and the status code.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { NextFunction, Request, Response } from 'express';

export interface HttpMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route' | 'status'>;
}

/** A registry with the process metrics (CPU, memory, event loop lag), for the composition root to share. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'oog_' });
  return registry;
}

/**
 * `oog_log_lines_dropped_total`: operator log lines to stdout that were dropped (gateway/log-destination.ts),
 * read from `dropped` at each scrape.
 */
export function registerDroppedLogLines(registry: Registry, dropped: () => number): void {
  if (registry.getSingleMetric('oog_log_lines_dropped_total')) return;
  let reported = 0;
  new Counter({
    name: 'oog_log_lines_dropped_total',
    help: 'Operator log lines dropped: stdout did not take them (buffer full or a failed write)',
    registers: [registry],
    collect() {
      const now = dropped();
      if (now > reported) this.inc(now - reported);
      reported = now;
    },
  });
}

/** Registers (once per registry) the request counter and duration histogram. */
export function createHttpMetrics(registry: Registry): HttpMetrics {
  const requests =
    (registry.getSingleMetric('oog_http_requests_total') as
      Counter<'method' | 'route' | 'status'> | undefined) ??
    new Counter({
      name: 'oog_http_requests_total',
      help: 'HTTP requests answered, by method, OpenAPI route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    });
  const duration =
    (registry.getSingleMetric('oog_http_request_duration_seconds') as
      Histogram<'method' | 'route' | 'status'> | undefined) ??
    new Histogram({
      name: 'oog_http_request_duration_seconds',
      help: 'HTTP request duration in seconds, by method, OpenAPI route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  return { registry, requests, duration };
}

/** The route label: the matched OpenAPI path template, or `unmatched`. */
export function routeOf(res: Response): string {
  const route: unknown = res.locals['route'];
  return typeof route === 'string' ? route : 'unmatched';
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Express middleware that observes every answered request. */
export function observeRequests(metrics: HttpMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const labels = {
        method: KNOWN_METHODS.has(req.method) ? req.method : 'OTHER',
        route: routeOf(res),
        status: String(res.statusCode),
      };
      metrics.requests.inc(labels);
      metrics.duration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}
