import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { SluiceConfig } from '#core/config/config.js';
import { runMigrations } from '#core/database/migrate.js';
import { createApiApp } from '../../apps/api/src/bootstrap.js';
import { bootstrapWorker } from '../../apps/worker/src/bootstrap.js';
import type { BenchEnvironment } from './environment.js';

/**
 * Sluice as a user runs it, in this process: the API over its own metadata database (on the bench's
 * metadata Postgres) and, when the case says so, the worker. Everything is set up through the HTTP API.
 */
export interface SluiceStack {
  config: SluiceConfig;
  apiUrl: string;
  /** The bootstrap account's API token. */
  token: string;
  /** Calls the API as the bootstrap account; throws on a non-2xx answer. */
  request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  startWorker(): Promise<void>;
  readonly workerRunning: boolean;
  close(): Promise<void>;
}

export async function startSluice(
  env: BenchEnvironment,
  name: string,
  options: { logLevel: string },
): Promise<SluiceStack> {
  const metadataDb = `bench_meta_${name.replace(/[^a-z0-9]/gi, '_')}`;
  const databaseUrl = await env.createDatabase(metadataDb, 'metadata');
  await runMigrations(databaseUrl);
  const bootstrapToken = `bench-${randomBytes(12).toString('hex')}`;
  const config: SluiceConfig = {
    databaseUrl,
    redisUrl: env.redis.url,
    port: 0,
    vaultKey: randomBytes(32),
    bootstrapToken,
    bootstrapAccount: 'default',
    signupEnabled: false,
    roles: ['api', 'worker'],
    logLevel: options.logLevel,
    migrate: false,
    redisPrefix: `bench-${name}-${randomBytes(3).toString('hex')}`,
    leaseMs: 30_000,
  };
  const api: NestExpressApplication = await createApiApp(config);
  await api.listen(0, '127.0.0.1');
  const apiUrl = `http://127.0.0.1:${(api.getHttpServer().address() as AddressInfo).port}/api`;
  let worker: INestApplicationContext | undefined;
  let closing: Promise<void> | undefined;

  return {
    config,
    apiUrl,
    token: bootstrapToken,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await fetch(`${apiUrl}${path}`, {
        method,
        headers: { Authorization: `Bearer ${bootstrapToken}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text}`);
      return (text ? JSON.parse(text) : {}) as T;
    },
    async startWorker() {
      worker ??= await bootstrapWorker(config);
    },
    get workerRunning() {
      return worker !== undefined;
    },
    close() {
      closing ??= (async () => {
        await worker?.close();
        await api.close();
        await env.dropDatabase(metadataDb, 'metadata').catch(() => undefined);
      })();
      return closing;
    },
  };
}
