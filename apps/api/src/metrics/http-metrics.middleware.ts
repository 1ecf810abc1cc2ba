import type { RequestHandler } from 'express';
import type { MetricsService } from './metrics.service.js';

/**
 * Counts every answered request, including those refused before a route runs (401, 404, 413).
 * The label is the route pattern (`/api/sinks/:id_or_name`), never the raw URL, to bound cardinality.
 */
export function httpMetricsMiddleware(metrics: MetricsService): RequestHandler {
  return (req, res, next) => {
    const stop = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const routePath = (req.route as { path?: string } | undefined)?.path;
      const route = routePath ? `${req.baseUrl}${routePath}` : 'unmatched';
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      stop({ method: req.method, route });
    });
    next();
  };
}
