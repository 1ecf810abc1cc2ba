import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startRedisServer, type RedisServer } from '#core/embedded/redis-server.js';
import type { components } from '#testing/api-schema.js';
import { monitorCommands, REFUSED_ID as POISON_ID, shortKeysUser } from '#testing/redis-commands.js';
import { randomSuffix, waitFor } from '#testing/databases.js';
import {
  type EngineStack,
  expectStreamMatches,
  startEngineStack,
  startWorkload,
  waitForStreamChanges,
  type WrittenChange,
  workloadTableSql,
} from '#testing/engine.js';

type SinkMessage = components['schemas']['SinkMessageDto'];
type MessageState = 'pending' | 'failing' | 'dead' | 'delivered';

const WRONGTYPE_TABLE = 'wrongtype_items';
const POISON_TABLE = 'poison_items';
const BACKOFF_TABLE = 'backoff_items';

/**
 * Error replies from the sink Redis, one command at a time: every reply is checked, a refused command
 * is a failing message (never a delivered one), and what follows it waits (the whole stream, or the
 * group) until it goes through.
 */
describe('faults: the sink Redis refuses commands', () => {
  let stack: EngineStack;
  let dir: string;
  let server: RedisServer | undefined;
  const clients: Redis[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-sink-replies-'));
    stack = await startEngineStack([
      ...workloadTableSql(WRONGTYPE_TABLE),
      ...workloadTableSql(POISON_TABLE),
      ...workloadTableSql(BACKOFF_TABLE),
    ]);
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await stack?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const list = async (sinkId: string, state: MessageState): Promise<SinkMessage[]> => {
    const { data, error } = await stack.api.client.GET('/api/sinks/{id_or_name}/messages', {
      params: { path: { id_or_name: sinkId }, query: { state } },
    });
    if (!data) throw new Error(`list ${state} failed: ${JSON.stringify(error)}`);
    return data.data;
  };

  const healthOf = async (sinkId: string) =>
    (await stack.api.client.GET('/api/sinks/{id_or_name}', { params: { path: { id_or_name: sinkId } } })).data!.health;

  it('redis_stream: XADD refused with WRONGTYPE inside MULTI/EXEC fails visibly, is never delivered, and flows in order once the key is fixed', async () => {
    const streamKey = `wrongtype-${randomSuffix()}`;
    await stack.sinkRedis.set(streamKey, 'not a stream');
    const sink = await stack.createSink({
      name: 'wrongtype-stream',
      source: { include_tables: [WRONGTYPE_TABLE] },
      destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
    });
    const workload = startWorkload(stack.source.url, WRONGTYPE_TABLE, { transactions: 40 });
    await workload.done;

    const failing = await waitFor(
      async () => {
        const messages = await list(sink.id, 'failing');
        return messages.length > 0 ? messages : undefined;
      },
      { timeoutMs: 20_000, message: 'failing messages' },
    );
    for (const message of failing) expect(message.last_error).toContain('WRONGTYPE');
    expect(await list(sink.id, 'delivered')).toEqual([]);
    expect(await stack.sinkRedis.get(streamKey)).toBe('not a stream');
    await waitFor(async () => (await healthOf(sink.id)).status === 'error', { message: 'the sink in error' });
    const firstCommit = Math.min(...failing.map((m) => m.commit_lsn));
    expect(await stack.confirmedFlushLsn()).toBeLessThanOrEqual(BigInt(firstCommit));

    await stack.sinkRedis.del(streamKey);
    const expected = await workload.expected();
    const analysis = await waitForStreamChanges(stack.sinkRedis, streamKey, expected.length);
    // A refused EXEC applied nothing: no entry twice, none missing, commit order.
    expectStreamMatches(analysis, expected, { maxReplays: 0 });
    await waitFor(async () => (await list(sink.id, 'failing')).length === 0, {
      message: 'no failing message once delivered',
    });
  });

  it('a refused message is tried again after 1 s, then 2 s, then 4 s (±15 %), as its not_visible_until says', async () => {
    const streamKey = `backoff-${randomSuffix()}`;
    await stack.sinkRedis.set(streamKey, 'not a stream');
    const sink = await stack.createSink({
      name: 'backoff-stream',
      source: { include_tables: [BACKOFF_TABLE] },
      destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
    });
    await stack.source.client.query(`INSERT INTO ${BACKOFF_TABLE} (id, v, txn) VALUES (1, 1, 1)`);

    // Attempt n sets not_visible_until to its own time plus its wait; attempt n + 1 comes when that
    // passes (plus a few ms), so consecutive not_visible_until differ by the later attempt's wait.
    const notVisibleUntil = new Map<number, number>();
    let firstRecordedAt = NaN; // the failure record is written right after the first attempt
    await waitFor(
      async () => {
        const [message] = await list(sink.id, 'failing');
        if (message?.not_visible_until)
          notVisibleUntil.set(message.deliver_count, Date.parse(message.not_visible_until));
        if (message?.deliver_count === 1) firstRecordedAt = Date.parse(message.inserted_at);
        return notVisibleUntil.has(3);
      },
      { timeoutMs: 20_000, intervalMs: 50, message: () => `three attempts: ${JSON.stringify([...notVisibleUntil])}` },
    );
    // Lateness: the timer's and the event loop's (the worker shares this process with the API and jest).
    const lateness = 1_000;
    const first = notVisibleUntil.get(1)! - firstRecordedAt; // the wait, less the record's write
    expect(first).toBeGreaterThanOrEqual(1_000 * 0.85 - 500);
    expect(first).toBeLessThanOrEqual(1_000 * 1.15);
    const second = notVisibleUntil.get(2)! - notVisibleUntil.get(1)!;
    const third = notVisibleUntil.get(3)! - notVisibleUntil.get(2)!;
    expect(second).toBeGreaterThanOrEqual(2_000 * 0.85);
    expect(second).toBeLessThanOrEqual(2_000 * 1.15 + lateness);
    expect(third).toBeGreaterThanOrEqual(4_000 * 0.85);
    expect(third).toBeLessThanOrEqual(4_000 * 1.15 + lateness);
    await stack.sinkRedis.del(streamKey);
  });

  it('redis_string: a poisoned group (NOPERM) waits while the others flow under a burst; each key gets its changes once, in commit order', async () => {
    // SET overwrites a key of any type and DEL removes any, so a wrong type never poisons a
    // redis_string sink (these two keys are simply replaced); an ACL refusing a key does.
    server = await startRedisServer({ dir: join(dir, 'poison') });
    const redis = new Redis(server.url);
    clients.push(redis);
    const prefix = `sequin:${POISON_TABLE}:`;
    const shortKeys = await shortKeysUser(redis, prefix, 'poison');
    await redis.rpush(`${prefix}1`, 'a list');
    await redis.hset(`${prefix}2`, 'a', 'hash');

    const applied = await monitorCommands(server.url, prefix);
    clients.push(...applied.clients);
    const sink = await stack.createSink({
      name: 'poison-cache',
      source: { include_tables: [POISON_TABLE] },
      destination: shortKeys.stringDestination(server.port),
    });

    const workload = startWorkload(stack.source.url, POISON_TABLE, { transactions: 300, rows: 40, pauseMs: 2 });
    const poisonChanges = writePoisonRow(stack.source.url);
    await workload.done;
    const poisoned = await poisonChanges;
    const expected = await workload.expected();

    // Every other row reaches its final state while the poisoned group still fails.
    const { rows: table } = await stack.source.client.query<{ id: number; v: number; txn: number }>(
      `SELECT id, v, txn FROM ${POISON_TABLE} WHERE id <> $1 ORDER BY id`,
      [POISON_ID],
    );
    const wanted = Object.fromEntries(table.map((row) => [`${prefix}${row.id}`, JSON.stringify(row)]));
    await waitFor(async () => equalMaps(await stringKeys(redis, `${prefix}?`, `${prefix}??`), wanted), {
      timeoutMs: 30_000,
      message: 'every unpoisoned row in the cache as in the table',
    });
    const [failing] = await waitFor(
      async () => {
        const messages = await list(sink.id, 'failing');
        return messages.length === 1 ? messages : undefined;
      },
      { message: 'one failing message, the head of the poisoned group' },
    );
    expect(failing).toMatchObject({
      group_id: `public.${POISON_TABLE}:${POISON_ID}`,
      last_error: expect.stringContaining('NOPERM'),
      data: { action: 'insert', record: { id: POISON_ID, v: 0, txn: 0 } },
    });
    expect(await redis.exists(`${prefix}${POISON_ID}`)).toBe(0);

    // Allowed at last: the group goes through, in order, ending at the row's state.
    await shortKeys.allowAll();
    const redelivered = await stack.api.client.POST('/api/sinks/{id_or_name}/messages/redeliver', {
      params: { path: { id_or_name: sink.id } },
      body: {},
    });
    expect(redelivered.response.status).toBe(200);
    const last = poisoned.at(-1)!;
    await waitFor(async () => (await redis.get(`${prefix}${POISON_ID}`)) === last.value, {
      timeoutMs: 20_000,
      message: 'the poisoned row after the ACL allows it',
    });

    // Per key: exactly the committed changes of its row, each once, in commit order.
    const expectedByKey = new Map<string, string[]>();
    const add = (key: string, command: string): void => {
      expectedByKey.set(key, [...(expectedByKey.get(key) ?? []), command]);
    };
    for (const change of expected) add(`${prefix}${change.id}`, commandOf(change));
    for (const change of poisoned) add(`${prefix}${POISON_ID}`, `SET ${change.value}`);
    expect(Object.fromEntries(applied.byKey())).toEqual(Object.fromEntries(expectedByKey));
  });
});

/** The SET or DEL a sink with `value: "record"` applies for a workload change. */
function commandOf(change: WrittenChange): string {
  return change.action === 'delete' ? 'DEL' : `SET ${JSON.stringify({ id: change.id, v: change.v, txn: change.txn })}`;
}

/** Inserts the poisoned row, then updates it, from its own connection; returns the values in commit order. */
async function writePoisonRow(url: string): Promise<Array<{ value: string }>> {
  const client = new pg.Client(url);
  await client.connect();
  const values: Array<{ value: string }> = [];
  try {
    for (let v = 0; v < 15; v++) {
      await client.query(
        v === 0
          ? `INSERT INTO ${POISON_TABLE} (id, v, txn) VALUES ($1, $2, 0)`
          : `UPDATE ${POISON_TABLE} SET v = $2 WHERE id = $1`,
        [POISON_ID, v],
      );
      values.push({ value: JSON.stringify({ id: POISON_ID, v, txn: 0 }) });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await client.end();
  }
  return values;
}

/** String keys matching any of `patterns`, with their values. */
async function stringKeys(redis: Redis, ...patterns: string[]): Promise<Record<string, string>> {
  const keys = (await Promise.all(patterns.map((pattern) => redis.keys(pattern)))).flat().sort();
  const result: Record<string, string> = {};
  for (const key of keys) {
    if ((await redis.type(key)) === 'string') result[key] = (await redis.get(key))!;
  }
  return result;
}

function equalMaps(a: Record<string, string>, b: Record<string, string>): boolean {
  return JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
}
