import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import { Redis } from 'ioredis';
import { testConfig } from './config.js';
import {
  createMetadataDatabase,
  createSourceDatabase,
  testRedisUrl,
  uniqueRedisPrefix,
  waitFor,
  withClient,
} from './databases.js';

describe('test databases', () => {
  it('clones migrated metadata databases from the template', async () => {
    const first = await createMetadataDatabase();
    const second = await createMetadataDatabase();
    try {
      expect(first.url).not.toBe(second.url);
      const migrations = await withClient(first.url, (client) => client.query('SELECT name FROM sluice_migrations'));
      expect(migrations.rowCount).toBeGreaterThan(0);
    } finally {
      await Promise.all([first.drop(), second.drop()]);
    }
    const left = await withClient(process.env.SLUICE_TEST_PG_URL!, (client) =>
      client.query('SELECT 1 FROM pg_database WHERE datname = $1', [new URL(first.url).pathname.slice(1)]),
    );
    expect(left.rowCount).toBe(0);
  });

  it('creates a source database with a publication and a slot, and drops it while a walsender uses the slot', async () => {
    const slot = `spec_slot_${Date.now()}`;
    const source = await createSourceDatabase({ publication: 'spec_pub', slot });
    await source.client.query('CREATE TABLE items (id int PRIMARY KEY)');

    const replication = new LogicalReplicationService(
      { connectionString: source.url },
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    );
    const stopped = replication
      .subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: ['spec_pub'] }), slot)
      .catch(() => 'ended');
    replication.on('error', () => undefined);
    const received = new Promise((resolve) =>
      replication.on('data', (_lsn, message: { tag: string }) => {
        if (message.tag === 'insert') resolve(message);
      }),
    );
    await source.client.query('INSERT INTO items VALUES (1)');
    await received;

    await source.drop();
    await stopped;
    const slots = await withClient(process.env.SLUICE_TEST_PG_URL!, (client) =>
      client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot]),
    );
    expect(slots.rowCount).toBe(0);
    await replication.destroy();
  });

  it('hands out Redis URLs and prefixes that do not collide', async () => {
    expect(uniqueRedisPrefix()).not.toBe(uniqueRedisPrefix());
    const redis = new Redis(testRedisUrl(3));
    try {
      expect(await redis.ping()).toBe('PONG');
      const clientInfo = await redis.client('INFO');
      expect(String(clientInfo)).toContain('db=3');
    } finally {
      redis.disconnect();
    }
  });

  it('builds a valid test configuration', () => {
    const config = testConfig({ databaseUrl: 'postgresql://postgres@127.0.0.1:1/x' });
    expect(config.vaultKey).toHaveLength(32);
    expect(config).toMatchObject({
      port: 0,
      signupEnabled: true,
      roles: ['api', 'worker'],
      logLevel: 'silent',
      migrate: false,
    });
    expect(testConfig({ databaseUrl: 'postgresql://x' }).redisPrefix).not.toBe(config.redisPrefix);
    expect(() => testConfig()).toThrow(/databaseUrl/);
  });

  it('waits for a condition, or fails with the message at the deadline', async () => {
    let calls = 0;
    await expect(waitFor(async () => ++calls >= 3 && calls)).resolves.toBe(3);
    await expect(waitFor(async () => false, { timeoutMs: 100, message: 'never true' })).rejects.toThrow('never true');
  });
});
