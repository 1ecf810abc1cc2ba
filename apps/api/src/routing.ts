import type { INestApplication } from '@nestjs/common';

/** Everything lives under /api except the operational endpoints probes and scrapers expect at the root. */
export function setApiPrefix(app: INestApplication): void {
  app.setGlobalPrefix('api', { exclude: ['health', 'metrics'] });
}
