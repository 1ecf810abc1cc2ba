import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { type RedisServer, startRedisServer } from '#core/embedded/redis-server.js';

/** A Redis server of the test's own, in a temporary directory, and a client on it. */
export interface PrivateRedis {
  server: RedisServer;
  redis: Redis;
  /** Disconnects the client, stops the server and removes its directory. */
  close(): Promise<void>;
}

/**
 * For a sink Redis the test changes as a whole (ACL users, MONITOR, stopping it) without touching the
 * suite's shared test Redis. `name` labels the temporary directory.
 */
export async function startPrivateRedis(name: string): Promise<PrivateRedis> {
  const dir = await mkdtemp(join(tmpdir(), `sluice-${name}-`));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  let server: RedisServer;
  try {
    server = await startRedisServer({ dir: join(dir, 'redis') });
  } catch (error) {
    await removeDir();
    throw error;
  }
  const redis = new Redis(server.url);
  return {
    server,
    redis,
    async close() {
      redis.disconnect();
      try {
        await server.stop();
      } finally {
        await removeDir();
      }
    },
  };
}
