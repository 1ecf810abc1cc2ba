import { randomSuffix, waitFor } from '#testing/databases.js';
import { type EngineStack, startEngineStack } from '#testing/engine.js';
import { signupAccount } from '#testing/test-api.js';

interface Received {
  ack_id: string;
  data: {
    record: Record<string, unknown>;
    action: string;
    metadata: { idempotency_key: string; record_pks: string[] };
  };
}

describe('Sequin Stream: receive, ack, nack', () => {
  let stack: EngineStack;

  beforeAll(async () => {
    stack = await startEngineStack(['CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL)']);
  });
  afterAll(() => stack.close());

  async function streamSink(settings: Record<string, unknown> = {}) {
    return stack.createSink({ name: `stream-${randomSuffix()}`, destination: { type: 'sequin_stream' }, ...settings });
  }

  async function call(path: string, body?: unknown, method = 'POST', token = stack.api.bootstrapToken) {
    const response = await fetch(`${stack.api.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { data: Received[]; summary?: string } };
  }

  const receive = (sink: string, params: Record<string, unknown> = {}) =>
    call(`/api/sequin_streams/${sink}/receive`, params);
  const ack = (sink: string, ids: string[]) => call(`/api/sequin_streams/${sink}/ack`, { ack_ids: ids });
  const nack = (sink: string, ids: string[]) => call(`/api/sequin_streams/${sink}/nack`, { ack_ids: ids });

  async function receiveAll(sink: string, count: number) {
    const got: Received[] = [];
    await waitFor(async () => {
      got.push(...(await receive(sink, { batch_size: 100 })).body.data);
      return got.length >= count;
    });
    return got;
  }

  let nextId = 1;
  async function insert(rows: number) {
    const first = nextId;
    nextId += rows;
    await stack.source.client.query(`INSERT INTO items SELECT g, 0 FROM generate_series($1::int, $2::int) g`, [
      first,
      nextId - 1,
    ]);
    return first;
  }

  it('stores changes and hands them out once acked, in the spec envelope, on both path prefixes', async () => {
    const sink = await streamSink();
    const first = await insert(3);
    const got = await receiveAll(sink.name, 3);
    expect(got.map((m) => m.data.record)).toEqual([0, 1, 2].map((i) => ({ id: first + i, v: 0 })));
    expect(got[0]!.data).toMatchObject({
      action: 'insert',
      changes: null,
      metadata: { consumer: { name: sink.name } },
    });
    expect(got[0]!.ack_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(
      (
        await ack(
          sink.name,
          got.map((m) => m.ack_id),
        )
      ).body,
    ).toEqual({ success: true });
    expect((await call(`/api/http_pull_consumers/${sink.id}/receive`, { batch_size: 10 })).body).toEqual({ data: [] });
    const get = await fetch(`${stack.api.baseUrl}/api/sequin_streams/${sink.name}/receive?batch_size=5`, {
      headers: { authorization: `Bearer ${stack.api.bootstrapToken}` },
    });
    expect(await get.json()).toEqual({ data: [] });
  });

  it('redelivers after the visibility timeout with a new ack id; the old one is stale', async () => {
    const sink = await streamSink({ ack_wait_ms: 500 });
    await insert(1);
    const [first] = await receiveAll(sink.name, 1);
    expect((await receive(sink.name)).body.data).toEqual([]);
    const [again] = await receiveAll(sink.name, 1);
    expect(again!.ack_id).not.toBe(first!.ack_id);
    expect(again!.data.metadata.idempotency_key).toBe(first!.data.metadata.idempotency_key);
    await ack(sink.name, [first!.ack_id]);
    await waitFor(async () => (await receive(sink.name)).body.data.length === 1, {
      message: 'stale ack must not delete it',
    });
  });

  it('nack makes a message visible at once', async () => {
    const sink = await streamSink();
    await insert(1);
    const [message] = await receiveAll(sink.name, 1);
    await nack(sink.name, [message!.ack_id]);
    const [again] = (await receive(sink.name)).body.data;
    expect(again?.data.metadata.idempotency_key).toBe(message!.data.metadata.idempotency_key);
  });

  it('hands out one message per group at a time, in commit order; groups do not block each other', async () => {
    const sink = await streamSink();
    const id = await insert(2);
    await stack.source.client.query(`UPDATE items SET v = 1 WHERE id = $1`, [id]);
    await stack.source.client.query(`UPDATE items SET v = 2 WHERE id = $1`, [id]);
    await waitFor(async () => {
      const { rows } = await stack.source.client.query(`SELECT 1`);
      return rows.length === 1;
    });
    const firstBatch = await receiveAll(sink.name, 2);
    expect(firstBatch.map((m) => m.data.record)).toEqual([
      { id, v: 0 },
      { id: id + 1, v: 0 },
    ]);
    expect((await receive(sink.name, { batch_size: 10 })).body.data).toEqual([]);
    await ack(sink.name, [firstBatch[0]!.ack_id]);
    const [update1] = await receiveAll(sink.name, 1);
    expect(update1!.data.record).toEqual({ id, v: 1 });
    await ack(sink.name, [update1!.ack_id]);
    const [update2] = await receiveAll(sink.name, 1);
    expect(update2!.data.record).toEqual({ id, v: 2 });
  });

  it('holds back new messages while max_ack_pending are outstanding', async () => {
    const sink = await streamSink({ max_ack_pending: 2 });
    await insert(5);
    await waitFor(async () => (await receive(sink.name, { batch_size: 10 })).body.data.length === 2);
    expect((await receive(sink.name, { batch_size: 10 })).body.data).toEqual([]);
  });

  it('answers 429 at once when max_waiting receivers already wait', async () => {
    const sink = await streamSink({ max_waiting: 1 });
    const waiting = receive(sink.name, { wait_for: 3000 });
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the first call take its place
    const started = Date.now();
    const refused = await receive(sink.name, { wait_for: 3000 });
    expect(refused.status).toBe(429);
    expect(refused.body.summary).toContain('max_waiting');
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await waiting).status).toBe(200);
  });

  it('long poll returns soon after a message is stored, or with [] when wait_for ends', async () => {
    const sink = await streamSink();
    const started = Date.now();
    expect((await receive(sink.name, { wait_for: '600ms' })).body.data).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);

    const poll = receive(sink.name, { wait_for: '20s' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const inserted = Date.now();
    await insert(1);
    const { body } = await poll;
    expect(body.data).toHaveLength(1);
    expect(Date.now() - inserted).toBeLessThan(3000);
  });

  it('refuses bad parameters with 400 and other accounts or sink kinds with 404', async () => {
    const sink = await streamSink();
    for (const params of [
      { batch_size: 0 },
      { batch_size: 1001 },
      { wait_for: 100 },
      { wait_for: '10h' },
      { colour: 1 },
    ]) {
      expect((await receive(sink.name, params)).status).toBe(400);
    }
    expect((await ack(sink.name, [])).status).toBe(400);
    expect((await nack(sink.name, ['not-a-uuid'])).status).toBe(400);
    const other = await signupAccount(stack.api);
    expect((await call(`/api/sequin_streams/${sink.id}/receive`, {}, 'POST', other.token)).status).toBe(404);
    const push = await stack.createSink({
      name: `push-${randomSuffix()}`,
      destination: {
        type: 'redis_stream',
        host: '127.0.0.1',
        port: stack.sinkRedisPort,
        stream_key: `s-${randomSuffix()}`,
      },
    });
    expect((await receive(push.name)).status).toBe(404);
  });

  it('16 concurrent receivers: every message acked exactly once, group order never violated', async () => {
    const sink = await streamSink();
    const rows = 100;
    const updates = 49;
    const first = nextId;
    nextId += rows;
    await stack.source.client.query(`INSERT INTO items SELECT g, 0 FROM generate_series($1::int, $2::int) g`, [
      first,
      first + rows - 1,
    ]);
    for (let u = 1; u <= updates; u++) {
      await stack.source.client.query(`UPDATE items SET v = $1 WHERE id BETWEEN $2 AND $3`, [
        u,
        first,
        first + rows - 1,
      ]);
    }
    const total = rows * (updates + 1);
    const seen = new Set<string>();
    const lastValue = new Map<number, number>();
    let violations = 0;
    let duplicates = 0;
    const deadline = Date.now() + 60_000;
    const worker = async () => {
      while (seen.size < total && Date.now() < deadline) {
        const { body } = await receive(sink.name, { batch_size: 50, wait_for: 1000 });
        for (const message of body.data) {
          const key = message.data.metadata.idempotency_key;
          if (seen.has(key)) duplicates++;
          seen.add(key);
          const { id, v } = message.data.record as { id: number; v: number };
          if (v !== (lastValue.get(id) ?? -1) + 1) violations++;
          lastValue.set(id, v);
        }
        if (body.data.length > 0)
          await ack(
            sink.name,
            body.data.map((m) => m.ack_id),
          );
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect({ received: seen.size, duplicates, violations }).toEqual({ received: total, duplicates: 0, violations: 0 });
    expect((await receive(sink.name, { batch_size: 100 })).body.data).toEqual([]);
  });
});
