/**
 * Writes openapi.json (committed, so API changes show in review). Preview mode builds the module
 * graph without instantiating providers, so no database or Redis is needed.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { ApiModule } from '../apps/api/src/api.module.js';
import { buildOpenApiDocument } from '../apps/api/src/openapi/openapi.js';
import { setApiPrefix } from '../apps/api/src/routing.js';
import { loadConfig } from '#core/config/config.js';

const config = loadConfig({
  DATABASE_URL: 'postgresql://unused@127.0.0.1:1/unused',
  REDIS_URL: 'redis://127.0.0.1:1',
  SLUICE_VAULT_KEY: randomBytes(32).toString('base64'),
});
const app = await NestFactory.create(ApiModule.forRoot(config), { preview: true, logger: false, abortOnError: false });
setApiPrefix(app);
const path = process.argv[2] ?? 'openapi.json';
writeFileSync(path, `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`);
console.log(`wrote ${path}`);
