import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { components } from '#testing/api-schema.js';
import { randomSuffix, testRedisUrl, waitFor } from '#testing/databases.js';
import {
  analyzeStream,
  changeSummaries,
  type EngineStack,
  readStream,
  startEngineStack,
  startWorkload,
  waitForStreamChanges,
  workloadTableSql,
} from '#testing/engine.js';

type SinkMessage = components['schemas']['SinkMessageDto'];

const TRIMMED = 'trimmed_items';
const ACL_TABLE = 'acl_items';
/** A Redis logical database no other test file writes to. */
const DB = 6;

/** redis_stream destination options: `max_len`, and an ACL user on a non-zero logical database. */
describe('engine: redis_stream options', () => {
  let stack: EngineStack;
  const user = `sluice_opt_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const keyPrefix = `opt-${randomSuffix()}`;
  const db = new Redis(testRedisUrl(DB));

  beforeAll(async () => {
    stack = await startEngineStack([
      ...workloadTableSql(TRIMMED),
      `CREATE TABLE ${ACL_TABLE} (id int PRIMARY KEY, v text NOT NULL)`,
    ]);
    await stack.sinkRedis.call('ACL', 'SETUSER', user, 'on', `>${password}`, 'resetkeys', `~${keyPrefix}*`, '+@all');
  });
  afterAll(async () => {
    await stack?.sinkRedis.call('ACL', 'DELUSER', user).catch(() => undefined);
    await stack?.close();
    const keys = await db.keys(`${keyPrefix}*`);
    if (keys.length > 0) await db.del(...keys);
    db.disconnect();
  });

  const failing = async (sinkId: string): Promise<SinkMessage[]> => {
    const { data } = await stack.api.client.GET('/api/sinks/{id_or_name}/messages', {
      params: { path: { id_or_name: sinkId }, query: { state: 'failing' } },
    });
    return data!.data;
  };

  const sinkHealth = async (sinkId: string) => {
    const { data } = await stack.api.client.GET('/api/sinks/{id_or_name}', {
      params: { path: { id_or_name: sinkId } },
    });
    return data!.health;
  };

  it('max_len: the stream stays near n (MAXLEN ~ n) during and after a burst of many more changes, keeping the newest', async () => {
    const maxLen = 100;
    const streamKey = `${keyPrefix}-trimmed`;
    await stack.createSink({
      name: 'trimmed',
      source: { include_tables: [TRIMMED] },
      destination: {
        type: 'redis_stream',
        host: '127.0.0.1',
        port: stack.sinkRedisPort,
        stream_key: streamKey,
        max_len: maxLen,
      },
    });
    // Approximate trimming removes whole radix-tree nodes only, so up to one node's entries stay above n.
    const [, nodeEntries] = (await stack.sinkRedis.config('GET', 'stream-node-max-entries')) as [string, string];
    const upperBound = maxLen + Number(nodeEntries);

    const workload = startWorkload(stack.source.url, TRIMMED, { transactions: 800 });
    let longest = 0;
    let finished = false;
    void workload.done.finally(() => (finished = true)).catch(() => undefined);
    while (!finished) {
      longest = Math.max(longest, await stack.sinkRedis.xlen(streamKey));
      await delay(10);
    }
    const expected = await workload.expected();
    expect(expected.length).toBeGreaterThan(5 * maxLen);

    const last = changeSummaries(expected.slice(-1))[0];
    // Delivery may lag the writes: keep sampling the length until the last change is in.
    await waitFor(
      async () => {
        longest = Math.max(longest, await stack.sinkRedis.xlen(streamKey));
        const { changes } = analyzeStream(await readStream(stack.sinkRedis, streamKey));
        return changes.length > 0 && changeSummaries(changes.slice(-1))[0] === last;
      },
      { timeoutMs: 30_000, message: 'the last committed change at the end of the stream' },
    );
    const analysis = analyzeStream(await readStream(stack.sinkRedis, streamKey));
    expect(longest).toBeGreaterThan(0);
    expect(longest).toBeLessThan(upperBound);
    expect(analysis.entries).toBeGreaterThanOrEqual(maxLen);
    expect(analysis.entries).toBeLessThan(upperBound);
    // What is left is the newest changes, in commit order, none missing at the end.
    expect(analysis.duplicates).toBe(0);
    expect(changeSummaries(analysis.changes)).toEqual(changeSummaries(expected.slice(-analysis.entries)));
  });

  it('an ACL user on database 6: entries land in that database; a wrong password fails visibly until it is fixed', async () => {
    const destination = (streamKey: string, pass: string) => ({
      type: 'redis_stream' as const,
      host: '127.0.0.1',
      port: stack.sinkRedisPort,
      database: DB,
      username: user,
      password: pass,
      stream_key: streamKey,
    });
    const good = await stack.createSink({
      name: 'acl-good',
      source: { include_tables: [ACL_TABLE] },
      destination: destination(`${keyPrefix}-good`, password),
    });
    const bad = await stack.createSink({
      name: 'acl-bad',
      source: { include_tables: [ACL_TABLE] },
      destination: destination(`${keyPrefix}-bad`, `${password}-wrong`),
    });
    for (let id = 1; id <= 5; id++) {
      await stack.source.client.query(`INSERT INTO ${ACL_TABLE} VALUES ($1, $2)`, [id, `v${id}`]);
    }

    const ids = async (key: string) => (await readStream(db, key)).map((e) => JSON.parse(e.fields.record!).id);
    await waitFor(async () => (await db.xlen(`${keyPrefix}-good`)) >= 5, { message: 'entries in database 6' });
    expect(await ids(`${keyPrefix}-good`)).toEqual([1, 2, 3, 4, 5]);
    expect(await stack.sinkRedis.exists(`${keyPrefix}-good`)).toBe(0); // not in database 0
    // Written as the ACL user, on database 6.
    const clients = ((await stack.sinkRedis.call('CLIENT', 'LIST')) as string).split('\n');
    expect(clients.find((line) => line.includes(' name=sluice:acl-good '))).toMatch(
      new RegExp(` db=${DB} .* user=${user} `),
    );

    // The wrong password: failing messages and an unhealthy sink that say why, and nothing written.
    const failed = await waitFor(
      async () => {
        const list = await failing(bad.id);
        return list.length === 5 && list.every((m) => m.last_error?.includes('WRONGPASS')) ? list : undefined;
      },
      { timeoutMs: 20_000, message: 'failing messages with WRONGPASS' },
    );
    expect(failed.map((m) => m.data.record.id)).toEqual([1, 2, 3, 4, 5]);
    const health = await sinkHealth(bad.id);
    expect(health.status).toBe('error');
    expect(health.checks).toContainEqual(
      expect.objectContaining({ name: 'failing_messages', message: expect.stringContaining('WRONGPASS') }),
    );
    await waitFor(async () => (await sinkHealth(good.id)).status === 'healthy', { message: 'the good sink healthy' });
    expect(await db.exists(`${keyPrefix}-bad`)).toBe(0);

    // Fixed: everything arrives, in order, and the sink is healthy again.
    const { response } = await stack.api.client.PATCH('/api/sinks/{id_or_name}', {
      params: { path: { id_or_name: bad.id } },
      body: { destination: { type: 'redis_stream', password } },
    });
    expect(response.status).toBe(200);
    await stack.source.client.query(`INSERT INTO ${ACL_TABLE} VALUES (6, 'v6')`);
    const fixed = await waitForStreamChanges(db, `${keyPrefix}-bad`, 6);
    expect(fixed.changes.map((c) => c.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(fixed.outOfOrder).toEqual([]);
    await waitFor(async () => (await sinkHealth(bad.id)).status === 'healthy', {
      timeoutMs: 20_000,
      message: 'the fixed sink to be healthy',
    });
    expect(await failing(bad.id)).toEqual([]);
  });
});
