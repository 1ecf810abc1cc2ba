import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { SLUICE_CONFIG } from '#core/config/config.tokens.js';
import type { SluiceConfig } from '#core/config/config.js';
import { workerMetricsPort } from './worker-metrics-port.js';
import { workerMetricsRegistry } from './worker-metrics.js';

/**
 * A worker-only process (no API role, whose `/metrics` already includes the worker metrics) serves
 * them at `GET /metrics` on `SLUICE_WORKER_METRICS_PORT` (default 7377), with its process metrics.
 * A port already in use is logged, not fatal: replication matters more than its metrics.
 */
@Injectable()
export class WorkerMetricsServer implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerMetricsServer.name);
  private server?: Server;
  private processRegistry?: Registry;
  private listenPort = 0;

  constructor(@Inject(SLUICE_CONFIG) private readonly config: SluiceConfig) {}

  /** Where it listens (tests); undefined when it does not. */
  get port(): number | undefined {
    const address = this.server?.address() as AddressInfo | null | undefined;
    return address?.port;
  }

  /** The earliest hook: a bad port stops the start with the variable's name (a constructor error would abort). */
  onModuleInit(): void {
    this.listenPort = this.config.roles.includes('api') ? 0 : workerMetricsPort(process.env);
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.listenPort;
    if (port === 0) return;
    this.processRegistry = new Registry();
    collectDefaultMetrics({ register: this.processRegistry, prefix: 'sluice_' });
    const processRegistry = this.processRegistry;
    const server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (request.method !== 'GET' || path !== '/metrics') {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"summary":"Not found"}');
        return;
      }
      const merged = Registry.merge([processRegistry, workerMetricsRegistry]);
      merged.metrics().then(
        (text) => response.writeHead(200, { 'content-type': merged.contentType }).end(text),
        (error: unknown) => {
          this.logger.error({ err: error }, 'Could not collect metrics');
          response.writeHead(500, { 'content-type': 'application/json' }).end('{"summary":"metrics failed"}');
        },
      );
    });
    await new Promise<void>((resolve) => {
      server.once('error', (error) => {
        this.logger.error(`Worker metrics not served on port ${port}: ${error.message}`);
        resolve();
      });
      server.listen(port, () => {
        this.server = server;
        this.logger.log(`Worker metrics at http://0.0.0.0:${this.port}/metrics`);
        resolve();
      });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // scrapers keep connections alive
      await closed;
    }
    this.processRegistry?.clear();
  }
}
