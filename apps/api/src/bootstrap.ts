import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { Logger } from 'nestjs-pino';
import type { SluiceConfig } from '#core/config/config.js';
import { ApiModule } from './api.module.js';
import { jsonBodyMiddlewares } from './common/http/json-body.middleware.js';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware.js';
import { MetricsService } from './metrics/metrics.service.js';
import { serveOpenApi } from './openapi/openapi.js';
import { setApiPrefix } from './routing.js';

/** The configured API application, not yet listening (tests call listen(0) themselves). */
export async function createApiApp(config: SluiceConfig): Promise<NestExpressApplication> {
  // Nest's body parser is off: ours answers parse errors and oversize bodies in the spec's shape.
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.use(httpMetricsMiddleware(app.get(MetricsService)));
  app.use(...jsonBodyMiddlewares());
  setApiPrefix(app);
  serveOpenApi(app);
  return app;
}

/** The API listening on `config.port` (0: a free port); logs its URL. */
export async function bootstrapApi(config: SluiceConfig): Promise<NestExpressApplication> {
  const app = await createApiApp(config);
  await app.listen(config.port);
  const { port } = app.getHttpServer().address() as AddressInfo;
  app.get(Logger).log(`API listening at http://127.0.0.1:${port}/api`, 'SluiceApi');
  return app;
}
