import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, register, Registry } from 'prom-client';

/**
 * One registry per application instance (several can live in one test process). A scrape adds
 * prom-client's process-wide registry, where the worker role keeps its metrics (sinks, slots), so
 * that `npm start` (both roles in one process) shows them at `GET /metrics`; it holds nothing in an
 * API-only process.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  /** Prometheus text of this API's metrics and the process-wide ones. */
  scrape(): Promise<string> {
    return Registry.merge([this.registry, register]).metrics();
  }

  readonly httpRequests = new Counter({
    name: 'sluice_http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'sluice_http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'sluice_' });
  }
}
