import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { testRedisUrl, waitFor } from '#testing/databases.js';
import { type EngineStack, type SinkCreate, startEngineStack } from '#testing/engine.js';

/**
 * Group ids made visible: a redis_string sink orders per group, and a message in retry blocks the rest
 * of its group only. A Redis ACL user that may write only one-character ids makes chosen rows fail
 * (NOPERM) until the ACL is widened, and which other keys are then held back shows the groups:
 * `group_column_names`, the primary key by default, none with `message_grouping: false`.
 */
const DBS = { grouped: 11, ungrouped: 12 };

describe('engine: redis_string groups', () => {
  let stack: EngineStack;
  const user = `sluice_grp_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const grouped = new Redis(testRedisUrl(DBS.grouped));
  const ungrouped = new Redis(testRedisUrl(DBS.ungrouped));

  beforeAll(async () => {
    stack = await startEngineStack([`CREATE TABLE grp_orders (id int PRIMARY KEY, tenant text, v text NOT NULL)`]);
    await stack.sinkRedis.call(
      'ACL',
      'SETUSER',
      user,
      'on',
      `>${password}`,
      'resetkeys',
      '~sequin:grp_orders:?',
      '~sequin:public.grp_orders:?',
      '+@all',
    );
    for (const redis of [grouped, ungrouped]) {
      const keys = await redis.keys('sequin:*grp_orders:*');
      if (keys.length > 0) await redis.del(...keys);
    }
  });
  afterAll(async () => {
    await stack.close();
    await stack.sinkRedis.call('ACL', 'DELUSER', user).catch(() => undefined);
    grouped.disconnect();
    ungrouped.disconnect();
  });

  const destination = (
    database: number,
    key_format: 'sequin' | 'qualified',
  ): Extract<SinkCreate['destination'], { type: 'redis_string' }> => ({
    type: 'redis_string',
    host: '127.0.0.1',
    port: stack.sinkRedisPort,
    database,
    username: user,
    password,
    key_format,
    value: 'record',
  });

  it('holds back only the group of a failing message: group_column_names, the primary key, or nothing', async () => {
    await stack.createSink({
      name: 'by-tenant',
      destination: destination(DBS.grouped, 'sequin'),
      tables: [{ name: 'grp_orders', group_column_names: ['tenant'] }],
    });
    await stack.createSink({ name: 'by-pk', destination: destination(DBS.grouped, 'qualified') });
    await stack.createSink({
      name: 'ungrouped',
      destination: destination(DBS.ungrouped, 'sequin'),
      message_grouping: false,
    });

    const { client } = stack.source;
    const rows: Array<[number, string | null, string]> = [
      [10, 'a', 'v10'], // key not allowed: fails and stays in retry
      [1, 'a', 'v1'], // same tenant as 10
      [11, null, 'v11'], // key not allowed; tenant NULL
      [5, '', 'v5'], // tenant '' is not tenant NULL
      [6, null, 'v6'], // same tenant as 11
      [2, 'b', 'v2'],
    ];
    for (const row of rows) await client.query(`INSERT INTO grp_orders VALUES ($1, $2, $3)`, row);
    await client.query(`UPDATE grp_orders SET v = 'v2b' WHERE id = 2`);
    await client.query(`INSERT INTO grp_orders VALUES (3, 'b', 'v3')`);

    const byTenant = (id: number) => grouped.get(`sequin:grp_orders:${id}`);
    const byPk = (id: number) => grouped.get(`sequin:public.grp_orders:${id}`);
    const none = (id: number) => ungrouped.get(`sequin:grp_orders:${id}`);
    const value = (id: number, tenant: string | null, v: string) => JSON.stringify({ id, tenant, v });

    // Every key of the other sinks arrives: with the primary key as group or no group, 1 and 6 do not wait.
    for (const get of [byPk, none]) {
      await waitFor(async () => (await get(3)) !== null && (await get(6)) !== null, { message: 'keys 3 and 6' });
      expect(await get(1)).toBe(value(1, 'a', 'v1'));
      expect(await get(2)).toBe(value(2, 'b', 'v2b'));
      expect(await get(5)).toBe(value(5, '', 'v5'));
      expect(await get(6)).toBe(value(6, null, 'v6'));
      expect(await get(10)).toBeNull();
      expect(await get(11)).toBeNull();
    }

    // Grouped by tenant: 1 waits behind 10, 6 behind 11; tenant '' and tenant b flow. Row 3 was
    // committed after rows 1 and 6, so had they been free to go they would be in Redis by now.
    await waitFor(async () => (await byTenant(3)) !== null, { message: 'key 3 of the tenant-grouped sink' });
    expect(await byTenant(2)).toBe(value(2, 'b', 'v2b'));
    expect(await byTenant(5)).toBe(value(5, '', 'v5'));
    for (const id of [1, 6, 10, 11]) expect(await byTenant(id)).toBeNull();

    // Still held back after more changes went through.
    await client.query(`UPDATE grp_orders SET v = 'v1b' WHERE id = 1`);
    await client.query(`INSERT INTO grp_orders VALUES (4, 'b', 'v4')`);
    await waitFor(async () => (await byTenant(4)) !== null, { message: 'key 4 of the tenant-grouped sink' });
    await waitFor(async () => (await byPk(1)) === value(1, 'a', 'v1b'), { message: 'update of 1 (pk groups)' });
    for (const id of [1, 6, 10, 11]) expect(await byTenant(id)).toBeNull();

    // Allow every key: the retries succeed and the held-back groups follow, ending at the table's state.
    await stack.sinkRedis.call('ACL', 'SETUSER', user, 'allkeys');
    const { rows: table } = await client.query<{ id: number; tenant: string | null; v: string }>(
      `SELECT id, tenant, v FROM grp_orders ORDER BY id`,
    );
    for (const get of [byTenant, byPk, none]) {
      await waitFor(async () => (await get(10)) !== null && (await get(11)) !== null, {
        timeoutMs: 30_000,
        message: 'the failing keys after the ACL allows them',
      });
      await waitFor(async () => (await get(1)) !== null && (await get(6)) !== null, { message: 'keys 1 and 6' });
      for (const row of table) expect(await get(row.id)).toBe(value(row.id, row.tenant, row.v));
    }
  });
});
