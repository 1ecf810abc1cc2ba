import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ConfigError, loadConfig, parseVaultKey } from '#core/config/config.js';
import type { OnShutdown } from '#core/config/process.js';
import { generateApiToken } from '#core/crypto/tokens.js';
import { startPostgresServer } from '#core/embedded/postgres-server.js';
import { findRedisServer, startRedisServer } from '#core/embedded/redis-server.js';

/** URLs of the servers started here (to print: the walk-through uses them as source and sink). */
export interface EmbeddedServers {
  postgresUrl?: string;
  redisUrl?: string;
}

/**
 * `npm start` with no DATABASE_URL / REDIS_URL: a private Postgres and Redis under `.sluice/` on free ports,
 * and (for an embedded database) a vault key and bootstrap token generated once and kept in `.sluice/`.
 * Fills `env` with what it provides and registers the servers' shutdown with `onShutdown`.
 */
export async function prepareEmbeddedEnvironment(
  env: NodeJS.ProcessEnv,
  onShutdown: OnShutdown,
  baseDir = join(process.cwd(), '.sluice'),
): Promise<EmbeddedServers> {
  const embedDatabase = !env.DATABASE_URL;
  const embedRedis = !env.REDIS_URL;
  const started: EmbeddedServers = {};
  if (!embedDatabase && !embedRedis) return started;
  // Report bad configuration before creating anything, and as the only output.
  loadConfig({
    ...env,
    DATABASE_URL: env.DATABASE_URL || 'postgresql://embedded',
    REDIS_URL: env.REDIS_URL || 'redis://embedded',
    SLUICE_VAULT_KEY: env.SLUICE_VAULT_KEY || (embedDatabase ? randomVaultKey() : undefined),
  });
  if (embedRedis && findRedisServer() === undefined) {
    // Before anything is started: otherwise Postgres would be initialised first, and then a stack trace.
    throw new ConfigError(
      'REDIS_URL',
      'is not set and redis-server was not found on PATH: install Redis (e.g. `apt-get install redis-server`) ' +
        'or set REDIS_URL to an existing Redis',
    );
  }
  // Run as root, Postgres runs as the postgres user, which must be able to enter this directory.
  await mkdir(baseDir, { recursive: true, mode: process.getuid?.() === 0 ? 0o711 : 0o700 });

  if (embedDatabase && !env.SLUICE_VAULT_KEY) {
    const keyFile = join(baseDir, 'vault.key');
    const key = await persistedSecret(keyFile, randomVaultKey);
    parseVaultKey(key, relative(process.cwd(), keyFile));
    env.SLUICE_VAULT_KEY = key;
  }
  if (embedDatabase) {
    env.SLUICE_BOOTSTRAP_TOKEN ||= await persistedSecret(join(baseDir, 'bootstrap-token'), generateApiToken);
    const dataDir = join(baseDir, 'postgres');
    process.stderr.write(`sluice: starting embedded Postgres in ${relative(process.cwd(), dataDir)}\n`);
    const log = createWriteStream(join(baseDir, 'postgres.log'), { flags: 'a' });
    const postgres = await startPostgresServer({ dataDir, log: (line) => log.write(`${line}\n`) });
    onShutdown(async () => {
      await postgres.stop();
      log.end();
    });
    env.DATABASE_URL = started.postgresUrl = postgres.url;
  }
  if (embedRedis) {
    const dir = join(baseDir, 'redis');
    process.stderr.write(`sluice: starting embedded Redis in ${relative(process.cwd(), dir)}\n`);
    const log = createWriteStream(join(baseDir, 'redis.log'), { flags: 'a' });
    const redis = await startRedisServer({ dir, persistent: true, log: (line) => log.write(`${line}\n`) });
    onShutdown(async () => {
      await redis.stop();
      log.end();
    });
    env.REDIS_URL = started.redisUrl = redis.url;
  }
  return started;
}

function randomVaultKey(): string {
  return randomBytes(32).toString('base64');
}

/** The secret kept in `file`, created with `generate` (readable by the owner only) on first use. */
async function persistedSecret(file: string, generate: () => string): Promise<string> {
  const existing = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing !== undefined) return existing.trim();
  const secret = generate();
  await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}
