import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { HEADS_LOCK_SEED, RECEIVE_LOCK_SEED } from '#stream/stream-sql.js';
import type { components } from '#testing/api-schema.js';
import { randomSuffix, waitFor } from '#testing/databases.js';
import { type EngineStack, startEngineStack } from '#testing/engine.js';
import { OUTSTANDING_COUNT_SQL, type StreamMessage, StreamClient } from '#testing/stream-client.js';
import { signupAccount, startApiInstance } from '#testing/test-api.js';
import { SINK_CACHE_MS } from './stream-sink-cache.js';

type SinkMessage = components['schemas']['SinkMessageDto'];
type ListState = 'pending' | 'outstanding' | 'failing' | 'dead' | 'delivered';

/** Each test writes its own table and its sink sees only that table. */
const TABLES = ['basics', 'redelivery', 'nacks', 'groups', 'capped', 'locked', 'listed', 'handled', 'paused'] as const;
type Table = (typeof TABLES)[number];

describe('Sequin Stream: receive, ack, nack', () => {
  let stack: EngineStack;

  beforeAll(async () => {
    stack = await startEngineStack(TABLES.map((t) => `CREATE TABLE ${t} (id int PRIMARY KEY, v int NOT NULL)`));
  });
  afterAll(() => stack.close());

  async function streamSink(table: Table, settings: Record<string, unknown> = {}) {
    const sink = await stack.createSink({
      name: `stream-${randomSuffix()}`,
      destination: { type: 'sequin_stream' },
      source: { include_tables: [table] },
      ...settings,
    });
    return { sink, client: new StreamClient(stack.api.baseUrl, stack.api.bootstrapToken, sink.name) };
  }

  const insert = (table: Table, ids: number[]) =>
    stack.source.client.query(`INSERT INTO ${table} SELECT g, 0 FROM unnest($1::int[]) g`, [ids]);
  const keys = (messages: StreamMessage[]) => messages.map((m) => m.data.metadata.idempotency_key);
  const ackIds = (messages: StreamMessage[]) => messages.map((m) => m.ack_id);

  async function list(sink: string, state: ListState): Promise<SinkMessage[]> {
    const { data, error } = await stack.api.client.GET('/api/sinks/{id_or_name}/messages', {
      params: { path: { id_or_name: sink }, query: { state } },
    });
    if (!data) throw new Error(`list ${state}: ${JSON.stringify(error)}`);
    return data.data;
  }

  /** Waits until the worker stored `count` messages of the sink. */
  const stored = (sinkId: string, count: number) =>
    waitFor(
      async () =>
        (await stack.metadataQuery(`SELECT 1 FROM stream_messages WHERE sink_id = $1`, [sinkId])).length >= count,
      { message: `${count} messages stored` },
    );

  it('hands changes out in the spec envelope on both path prefixes, and never again once acked', async () => {
    const { sink, client } = await streamSink('basics');
    await insert('basics', [1, 2, 3]);
    const got = await client.receiveCount(3);
    expect(got.map((m) => m.data.record)).toEqual([1, 2, 3].map((id) => ({ id, v: 0 })));
    expect(got[0]!.data).toMatchObject({
      action: 'insert',
      changes: null,
      metadata: { consumer: { name: sink.name } },
    });
    expect(got[0]!.ack_id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await client.ack(ackIds(got))).body).toEqual({ success: true });
    expect((await client.via(stack.api.baseUrl, '/api/http_pull_consumers').receive({ batch_size: 10 })).body).toEqual({
      data: [],
    });
    const get = await fetch(`${stack.api.baseUrl}/api/sequin_streams/${sink.id}/receive?batch_size=5`, {
      headers: { authorization: `Bearer ${stack.api.bootstrapToken}` },
    });
    expect(await get.json()).toEqual({ data: [] });
  });

  it('redelivers after the visibility timeout with a new ack id and deliver_count + 1; stale, repeated and unknown ack ids change nothing', async () => {
    const { sink, client } = await streamSink('redelivery', { ack_wait_ms: 500 });
    await insert('redelivery', [1]);
    const [first] = await client.receiveCount(1);
    expect(await client.messages()).toEqual([]);
    const [again] = await client.receiveCount(1);
    expect(again!.ack_id).not.toBe(first!.ack_id);
    expect(keys([again!])).toEqual(keys([first!]));
    const [outstanding] = await list(sink.name, 'outstanding');
    expect(outstanding).toMatchObject({ ack_id: again!.ack_id, deliver_count: 2 });

    expect((await client.ack([first!.ack_id, '00000000-0000-4000-8000-000000000000'])).body).toEqual({ success: true });
    expect(await list(sink.name, 'outstanding')).toMatchObject([{ ack_id: again!.ack_id, deliver_count: 2 }]);

    expect((await client.ack([again!.ack_id])).body).toEqual({ success: true });
    expect((await client.ack([again!.ack_id])).body).toEqual({ success: true });
    expect(await list(sink.name, 'outstanding')).toEqual([]);
    const [{ outstanding: count }] = await stack.metadataQuery<{ outstanding: number }>(OUTSTANDING_COUNT_SQL, [
      sink.id,
    ]);
    expect(count).toBe(0);
  });

  it('nack makes a message visible at once, a stale nack does not', async () => {
    const { sink, client } = await streamSink('nacks');
    await insert('nacks', [1]);
    const [message] = await client.receiveCount(1);
    expect((await client.nack([message!.ack_id])).body).toEqual({ success: true });
    const [again] = await client.messages();
    expect(keys([again!])).toEqual(keys([message!]));
    expect((await client.nack([message!.ack_id])).body).toEqual({ success: true });
    expect(await client.messages()).toEqual([]);
    expect(await list(sink.name, 'outstanding')).toMatchObject([{ ack_id: again!.ack_id, deliver_count: 2 }]);
  });

  it('hands out nothing while the sink is paused or disabled, redeliveries included, and goes on once active', async () => {
    const { sink, client } = await streamSink('paused', { ack_wait_ms: 500 });
    await insert('paused', [1, 2]);
    await stored(sink.id, 2);
    const [outstanding] = await client.messages({ batch_size: 1 });
    const redeliveryDue = Date.now() + 500;
    const setStatus = async (status: 'active' | 'paused' | 'disabled') => {
      const { response } = await stack.api.client.PATCH('/api/sinks/{id_or_name}', {
        params: { path: { id_or_name: sink.id } },
        body: { status },
      });
      expect(response.status).toBe(200);
    };
    await setStatus('paused');
    // At once, by the name the route has just looked the sink up by (and cached as active): the change
    // evicted that copy.
    expect(await client.messages({ batch_size: 10 })).toEqual([]);
    // Long polls span the redelivery's due time and the API's re-reads of the sink.
    expect(await client.messages({ batch_size: 10, wait_for: 1500 })).toEqual([]);
    expect(Date.now()).toBeGreaterThan(redeliveryDue);
    await setStatus('disabled');
    expect(await client.messages({ batch_size: 10, wait_for: 2500 })).toEqual([]);
    await setStatus('active');
    const resumed = await client.messages({ batch_size: 10, wait_for: 5000 });
    expect(resumed.map((m) => (m.data.record as { id: number }).id).sort()).toEqual([1, 2]);
    expect(keys(resumed)).toContain(keys([outstanding!])[0]);

    // Deleted: its routes answer 404 at once, not from a cached copy.
    const { response } = await stack.api.client.DELETE('/api/sinks/{id_or_name}', {
      params: { path: { id_or_name: sink.id } },
    });
    expect(response.status).toBe(200);
    expect((await client.receive({ batch_size: 10 })).status).toBe(404);
    expect((await client.ack(resumed.map((m) => m.ack_id))).status).toBe(404);
  });

  it("another API process drops its cached copy of a changed sink through Redis, well before the copy's second is up", async () => {
    const other = await startApiInstance(stack.api.config); // its own Notifier: only Redis tells it
    try {
      const { sink } = await streamSink('paused');
      const viaOther = new StreamClient(other.baseUrl, stack.api.bootstrapToken, sink.name);
      expect((await viaOther.receive()).status).toBe(200); // looked up and cached there
      const deletedAt = Date.now();
      const { response } = await stack.api.client.DELETE('/api/sinks/{id_or_name}', {
        params: { path: { id_or_name: sink.id } },
      });
      expect(response.status).toBe(200);
      await waitFor(async () => (await viaOther.receive()).status === 404, {
        timeoutMs: 5_000,
        intervalMs: 20,
        message: 'the other API to answer 404 for the deleted sink',
      });
      expect(Date.now() - deletedAt).toBeLessThan(SINK_CACHE_MS * 0.8);
    } finally {
      await other.close();
    }
  });

  it('hands out one message per group at a time, in commit order; groups do not block each other', async () => {
    const { sink, client } = await streamSink('groups');
    await insert('groups', [1, 2]);
    await stack.source.client.query(`UPDATE groups SET v = 1 WHERE id = 1`);
    await stack.source.client.query(`UPDATE groups SET v = 2 WHERE id = 1`);
    await stored(sink.id, 4);
    const firstBatch = await client.messages({ batch_size: 10 });
    expect(firstBatch.map((m) => m.data.record)).toEqual([
      { id: 1, v: 0 },
      { id: 2, v: 0 },
    ]);
    expect(await client.messages({ batch_size: 10 })).toEqual([]);
    await client.ack([firstBatch[0]!.ack_id]);
    const [update1] = await client.messages({ batch_size: 10 });
    expect(update1!.data.record).toEqual({ id: 1, v: 1 });
    await client.ack([update1!.ack_id]);
    expect((await client.messages({ batch_size: 10 })).map((m) => m.data.record)).toEqual([{ id: 1, v: 2 }]);
  });

  it('at max_ack_pending hands out only redeliveries; an ack lets one new message through', async () => {
    const { sink, client } = await streamSink('capped', { max_ack_pending: 2, ack_wait_ms: 1000 });
    await insert('capped', [1, 2, 3, 4, 5]);
    await stored(sink.id, 5);
    const first = await client.messages({ batch_size: 10 });
    expect(first.map((m) => m.data.record.id)).toEqual([1, 2]);
    expect(await client.messages({ batch_size: 10 })).toEqual([]);

    // Once their visibility ends, the two come again — and nothing new beside them.
    const redelivered = await waitFor(async () => {
      const got = await client.messages({ batch_size: 10 });
      return got.length > 0 ? got : undefined;
    });
    expect(redelivered.map((m) => m.data.record.id)).toEqual([1, 2]);
    expect((await list(sink.name, 'outstanding')).map((m) => m.deliver_count)).toEqual([2, 2]);

    await client.ack([redelivered[0]!.ack_id]);
    const next = await client.messages({ batch_size: 10 });
    expect(next.map((m) => m.data.record.id)).toEqual([3]);
    expect(await client.messages({ batch_size: 10 })).toEqual([]);
  });

  it('starts the visibility timeout when the claim happens, not when the receive began waiting for its lock', async () => {
    const { sink, client } = await streamSink('locked', { ack_wait_ms: 1000 });
    await insert('locked', [1]);
    await stored(sink.id, 1);
    const blocker = new pg.Client(stack.api.config.databaseUrl);
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      for (const seed of [HEADS_LOCK_SEED, RECEIVE_LOCK_SEED]) {
        await blocker.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, ${seed}))`, [sink.id]);
      }
      const receiving = client.messages();
      await waitFor(async () => {
        const { rows } = await blocker.query(
          `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
              AND (classid::bigint << 32 | objid::bigint) IN (hashtextextended($1, $2), hashtextextended($1, $3))`,
          [sink.id, HEADS_LOCK_SEED, RECEIVE_LOCK_SEED],
        );
        return rows.length > 0;
      });
      await delay(1200); // the receive waits longer than ack_wait_ms
      await blocker.query('COMMIT');
      const released = Date.now();
      const [message] = await receiving;
      expect(message).toBeDefined();
      expect(await client.messages()).toEqual([]);
      const [listed] = await list(sink.name, 'outstanding');
      expect(Date.parse(listed!.not_visible_until!) - released).toBeGreaterThan(800);
    } finally {
      await blocker.end();
    }
  });

  it('lists pending, outstanding and failing stream messages in the messages API', async () => {
    const { sink, client } = await streamSink('listed');
    await insert('listed', [1, 2, 3]);
    await stored(sink.id, 3);
    const [received] = await client.messages();
    const pending = await list(sink.name, 'pending');
    expect(pending.map((m) => [m.data.record, m.deliver_count, m.ack_id, m.not_visible_until])).toEqual([
      [{ id: 2, v: 0 }, 0, null, null],
      [{ id: 3, v: 0 }, 0, null, null],
    ]);
    const [outstanding, ...more] = await list(sink.name, 'outstanding');
    expect(more).toEqual([]);
    expect(outstanding).toMatchObject({
      id: received!.data.metadata.idempotency_key,
      ack_id: received!.ack_id,
      group_id: expect.stringContaining('listed'),
      deliver_count: 1,
      last_error: null,
      commit_lsn: received!.data.metadata.commit_lsn,
      data: received!.data,
    });
    expect(outstanding!.seq).toBeLessThan(Number(pending[0]!.seq));
    expect(Date.parse(outstanding!.not_visible_until!)).toBeGreaterThan(Date.now() + 20_000);
    expect(await list(sink.name, 'failing')).toEqual([]);

    await client.nack([received!.ack_id]);
    expect(await list(sink.name, 'failing')).toMatchObject([
      { ack_id: received!.ack_id, deliver_count: 1, not_visible_until: null },
    ]);
    expect(await list(sink.name, 'delivered')).toEqual([]);
    expect(await list(sink.name, 'dead')).toEqual([]);
  });

  it('redeliver makes outstanding messages due at once; discard deletes them and lets their group go on', async () => {
    const { sink, client } = await streamSink('handled');
    await insert('handled', [1, 2]);
    await stack.source.client.query(`UPDATE handled SET v = 1 WHERE id = 1`);
    await stored(sink.id, 3);
    const first = await client.messages({ batch_size: 10 }); // the heads of groups 1 and 2
    expect(first.map((m) => m.data.record)).toEqual([
      { id: 1, v: 0 },
      { id: 2, v: 0 },
    ]);
    const post = (action: 'redeliver' | 'discard', ids?: string[]) =>
      stack.api.client.POST(`/api/sinks/{id_or_name}/messages/${action}`, {
        params: { path: { id_or_name: sink.name } },
        body: ids === undefined ? {} : { ids },
      });

    expect((await post('redeliver', [keys(first)[1]!])).response.status).toBe(200);
    const again = await client.messages({ batch_size: 10 });
    expect(keys(again)).toEqual([keys(first)[1]]);
    expect(again[0]!.ack_id).not.toBe(first[1]!.ack_id);

    // The head of group 1, outstanding, is discarded: the group's update comes next, and nothing stays counted.
    expect((await post('discard', [keys(first)[0]!])).response.status).toBe(200);
    const next = await client.messages({ batch_size: 10 });
    expect(next.map((m) => m.data.record)).toEqual([{ id: 1, v: 1 }]);
    await client.ack([...ackIds(again), ...ackIds(next)]);
    expect(await list(sink.name, 'outstanding')).toEqual([]);
    const [{ n }] = await stack.metadataQuery<{ n: number }>(
      `SELECT COALESCE(sum(n), 0)::int AS n FROM stream_outstanding WHERE sink_id = $1`,
      [sink.id],
    );
    expect(n).toBe(0);
  });

  it('refuses bad parameters with 400 and other accounts or sink kinds with 404', async () => {
    const { sink, client } = await streamSink('basics');
    for (const params of [
      { batch_size: 0 },
      { batch_size: 1001 },
      { wait_for: 100 },
      { wait_for: '10h' },
      { colour: 1 },
    ]) {
      expect((await client.receive(params)).status).toBe(400);
    }
    expect((await client.ack([])).status).toBe(400);
    expect((await client.nack(['not-a-uuid'])).status).toBe(400);
    const other = await signupAccount(stack.api);
    const stranger = new StreamClient(stack.api.baseUrl, other.token, sink.id);
    expect((await stranger.receive()).status).toBe(404);
    expect((await stranger.ack([randomUUID()])).status).toBe(404);
    const push = await stack.createSink({
      name: `push-${randomSuffix()}`,
      source: { include_tables: ['basics'] },
      destination: {
        type: 'redis_stream',
        host: '127.0.0.1',
        port: stack.sinkRedisPort,
        stream_key: `s-${randomSuffix()}`,
      },
    });
    expect((await new StreamClient(stack.api.baseUrl, stack.api.bootstrapToken, push.name).receive()).status).toBe(404);
    const outstanding = await stack.api.client.GET('/api/sinks/{id_or_name}/messages', {
      params: { path: { id_or_name: push.name }, query: { state: 'outstanding' } },
    });
    expect(outstanding.response.status).toBe(400);
  });
});
