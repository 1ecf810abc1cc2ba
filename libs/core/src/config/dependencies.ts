import { Redis } from 'ioredis';
import pg from 'pg';
import { redisOptionsFromUrl } from '../redis/redis-options.js';
import { ConfigError, type SluiceConfig } from './config.js';

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * Start-up check that the metadata Postgres and the internal Redis answer, so an unreachable server
 * stops the process with one line naming its variable (`DATABASE_URL: cannot connect to 127.0.0.1:1
 * (ECONNREFUSED)`) instead of a stack trace or a start that waits forever. Both are tried at once; a
 * failure of DATABASE_URL is reported before one of REDIS_URL.
 */
export async function checkDependencies(
  config: Pick<SluiceConfig, 'databaseUrl' | 'redisUrl'>,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<void> {
  const results = await Promise.allSettled([
    checkPostgres(config.databaseUrl, timeoutMs),
    checkRedis(config.redisUrl, timeoutMs),
  ]);
  for (const result of results) if (result.status === 'rejected') throw result.reason;
}

/** DATABASE_URL answers a query, else a ConfigError naming it. */
export async function checkPostgres(url: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new ConfigError('DATABASE_URL', `cannot connect to ${hostAndPort(url, 5432)} (${reason(error, timeoutMs)})`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis(url: string, timeoutMs: number): Promise<void> {
  const client = new Redis({
    ...redisOptionsFromUrl(url),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    // disconnect() otherwise keeps a timer alive after a refused connection.
    disconnectTimeout: 0,
  });
  // connect() rejects with a bare "Connection is closed."; the cause came as an 'error' event.
  let cause: unknown;
  client.on('error', (error) => (cause ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const problem = reason(cause ?? error, timeoutMs);
    throw new ConfigError('REDIS_URL', `cannot connect to ${hostAndPort(url, 6379)} (${problem})`);
  } finally {
    client.disconnect();
  }
}

/** `host:port` of a URL, never its credentials. */
function hostAndPort(url: string, defaultPort: number): string {
  const { hostname, port } = new URL(url);
  return `${hostname || 'localhost'}:${port || defaultPort}`;
}

/** A system error code (ECONNREFUSED, ENOTFOUND…) or the server's own message, on one line. */
function reason(error: unknown, timeoutMs: number): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
  const text = typeof message === 'string' && message !== '' ? message : String(error);
  if (/timeout|timed out/i.test(text)) return `no answer within ${timeoutMs} ms`;
  return text.replace(/\s+/g, ' ').trim();
}
