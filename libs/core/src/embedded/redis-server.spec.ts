import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { acceptsConnections } from './free-port.js';
import { processGroupMembers } from './managed-process.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

const TIMEOUT = 60_000;

async function withClient<T>(url: string, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.quit();
  }
}

describe('startRedisServer', () => {
  let workDir: string;
  const running: RedisServer[] = [];

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'sluice-redis-spec-'));
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((server) => server.stop()));
    await rm(workDir, { recursive: true, force: true });
  });

  async function start(persistent: boolean): Promise<RedisServer> {
    const server = await startRedisServer({ dir: join(workDir, 'redis'), persistent });
    running.push(server);
    return server;
  }

  it(
    'answers PING and leaves nothing behind when stopped',
    async () => {
      const server = await start(false);
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      expect(await withClient(server.url, (client) => client.ping())).toBe('PONG');

      await server.stop();
      expect(await acceptsConnections(server.port)).toBe(false);
      expect(processGroupMembers(server.pid)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'keeps data across restarts when persistent',
    async () => {
      const first = await start(true);
      await withClient(first.url, (client) => client.set('kept', 'yes'));
      await first.stop();

      const second = await start(true);
      expect(await withClient(second.url, (client) => client.get('kept'))).toBe('yes');
    },
    TIMEOUT,
  );
});
