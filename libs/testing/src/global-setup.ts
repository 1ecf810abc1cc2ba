import { rmSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMigrations } from '#core/database/migrate.js';
import { startPostgresServer, type PostgresServer } from '#core/embedded/postgres-server.js';
import { startRedisServer, type RedisServer } from '#core/embedded/redis-server.js';
import { databaseUrl, TEMPLATE_DATABASE, withClient } from './databases.js';

/** What globalSetup started; jest runs globalTeardown in the same process, so globalThis carries it over. */
interface TestServers {
  postgres?: PostgresServer;
  redis?: RedisServer;
  tempDir?: string;
  removeProcessHandlers(): void;
}

declare global {
  var __sluiceTestServers: TestServers | undefined;
}

/**
 * Starts a private Postgres and Redis on free ports (unless TEST_DATABASE_URL / TEST_REDIS_URL name
 * servers to use), builds the migrated template database, and tells the test workers through
 * SLUICE_TEST_PG_URL and SLUICE_TEST_REDIS_URL.
 */
export default async function globalSetup(): Promise<void> {
  const servers: TestServers = { removeProcessHandlers: () => undefined };
  globalThis.__sluiceTestServers = servers;
  servers.removeProcessHandlers = stopOnProcessEnd(servers);
  try {
    const tempDir = (servers.tempDir = await makeTempDir());
    const postgresUrl =
      process.env.TEST_DATABASE_URL || (await startPrivatePostgres(servers, join(tempDir, 'postgres')));
    const redisUrl = process.env.TEST_REDIS_URL || (await startPrivateRedis(servers, join(tempDir, 'redis')));
    await createTemplateDatabase(postgresUrl);
    process.env.SLUICE_TEST_PG_URL = postgresUrl;
    process.env.SLUICE_TEST_REDIS_URL = redisUrl;
  } catch (error) {
    // jest skips globalTeardown when globalSetup fails.
    await stopTestServers();
    throw error;
  }
}

/** Stops whatever globalSetup started and removes its files. Safe to call twice. */
export async function stopTestServers(): Promise<void> {
  const servers = globalThis.__sluiceTestServers;
  if (servers === undefined) return;
  globalThis.__sluiceTestServers = undefined;
  servers.removeProcessHandlers();
  await Promise.all([servers.redis?.stop(), servers.postgres?.stop()]);
  if (servers.tempDir !== undefined) await rm(servers.tempDir, { recursive: true, force: true, maxRetries: 3 });
}

async function makeTempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-test-'));
  // Run as root, Postgres runs as the postgres user, which must be able to enter this directory.
  await chmod(dir, 0o711);
  return dir;
}

async function startPrivatePostgres(servers: TestServers, dataDir: string): Promise<string> {
  servers.postgres = await startPostgresServer({ dataDir, fast: true });
  return servers.postgres.url;
}

async function startPrivateRedis(servers: TestServers, dir: string): Promise<string> {
  servers.redis = await startRedisServer({ dir });
  return servers.redis.url;
}

async function createTemplateDatabase(serverUrl: string): Promise<void> {
  await withClient(serverUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  });
  await runMigrations(databaseUrl(serverUrl, TEMPLATE_DATABASE));
}

/**
 * An interrupted run (Ctrl-C, SIGTERM, process.exit) must not leave servers behind. (If jest is killed
 * outright, the servers get a parent-death signal instead.) Returns a function removing the handlers.
 */
function stopOnProcessEnd(servers: TestServers): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    void stopTestServers().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  const onExit = (): void => {
    // Only synchronous work is possible here: signal the servers and remove the files.
    const signals = [
      [servers.postgres, 'SIGQUIT'],
      [servers.redis, 'SIGTERM'],
    ] as const;
    for (const [server, signal] of signals) {
      try {
        if (server !== undefined) process.kill(server.pid, signal);
      } catch {
        // Already gone.
      }
    }
    if (servers.tempDir !== undefined) rmSync(servers.tempDir, { recursive: true, force: true, maxRetries: 3 });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', onExit);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  };
}
