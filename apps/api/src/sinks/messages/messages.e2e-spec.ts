import type { components } from '#testing/api-schema.js';
import { randomSuffix, waitFor } from '#testing/databases.js';
import { type EngineStack, startEngineStack, waitForStreamLength } from '#testing/engine.js';
import { type ApiClient, signupAccount } from '#testing/test-api.js';

type SinkMessage = components['schemas']['SinkMessageDto'];
type MessageState = 'pending' | 'failing' | 'dead' | 'delivered';
type Health = components['schemas']['SinkHealthDto'];

const suffix = randomSuffix();
/** Table names end up in the sink Redis keys (`sequin:<table>:<pk>`), and that Redis is shared by test files. */
const GROUPED = `grouped_${suffix}`;
const DEAD = `dead_${suffix}`;
const PLAIN = `plain_${suffix}`;
const PAUSED = `paused_${suffix}`;
const SETUP = [
  `CREATE TABLE ${GROUPED} (id text PRIMARY KEY, grp text NOT NULL, v int)`,
  `CREATE TABLE ${DEAD} (id text PRIMARY KEY, v int)`,
  `CREATE TABLE ${PLAIN} (id serial PRIMARY KEY, v int)`,
  `CREATE TABLE ${PAUSED} (id serial PRIMARY KEY, v int)`,
];

/**
 * A poisoned key: the sink writes as a Redis user allowed only keys whose primary key starts with
 * `ok` (SET overwrites a key of any type, so a wrong type would not make it fail), so a row `bad-…`
 * fails with NOPERM until the user gets every key.
 */
const POISON_PASSWORD = `pw-${suffix}`;
const poisonUser = (name: string) => `sluice_poison_${name}_${suffix}`;

describe('sink messages API, health and metrics (engine)', () => {
  let stack: EngineStack;
  let client: ApiClient;
  const users = [poisonUser('a'), poisonUser('b')];

  const sql = (text: string, values: unknown[] = []) => stack.source.client.query(text, values);

  const list = async (sink: string, state: MessageState, limit?: number): Promise<SinkMessage[]> => {
    const { data, error } = await client.GET('/api/sinks/{id_or_name}/messages', {
      params: { path: { id_or_name: sink }, query: { state, limit } },
    });
    if (!data) throw new Error(`list ${state} failed: ${JSON.stringify(error)}`);
    return data.data;
  };

  const health = async (sink: string): Promise<Health> => {
    const { data, error } = await client.GET('/api/sinks/{id_or_name}', { params: { path: { id_or_name: sink } } });
    if (!data) throw new Error(`get failed: ${JSON.stringify(error)}`);
    return data.health;
  };

  const waitForHealth = (sink: string, status: Health['status']) =>
    waitFor(async () => ((await health(sink)).status === status ? true : undefined), {
      timeoutMs: 20_000,
      message: `sink ${sink} to become ${status}`,
    });

  const waitForMessages = (sink: string, state: MessageState, count: number, timeoutMs = 20_000) =>
    waitFor(
      async () => {
        const messages = await list(sink, state);
        return messages.length === count ? messages : undefined;
      },
      { timeoutMs, message: `${count} ${state} messages on ${sink}` },
    );

  beforeAll(async () => {
    stack = await startEngineStack(SETUP);
    client = stack.api.client;
    for (const user of users) {
      await stack.sinkRedis.call(
        'ACL',
        'SETUSER',
        user,
        'on',
        `>${POISON_PASSWORD}`,
        'resetkeys',
        '~sequin:*:ok*',
        '+@all',
      );
    }
  });

  afterAll(async () => {
    for (const user of users) await stack.sinkRedis.call('ACL', 'DELUSER', user).catch(() => undefined);
    const keys = await stack.sinkRedis.keys(`*${suffix}*`);
    if (keys.length > 0) await stack.sinkRedis.del(...keys);
    await stack.close();
  });

  it('shows a failing message, blocks only its group, and discard lets the group go on; health follows', async () => {
    const sink = await stack.createSink({
      name: 'grouped-cache',
      source: { include_tables: [GROUPED] },
      tables: [{ name: GROUPED, group_column_names: ['grp'] }],
      destination: {
        type: 'redis_string',
        host: '127.0.0.1',
        port: stack.sinkRedisPort,
        username: users[0],
        password: POISON_PASSWORD,
      },
    });
    expect(sink.health).toEqual({
      status: 'initializing',
      checks: [{ name: 'replication', status: 'initializing', message: 'waiting for the replication reader' }],
    });
    await waitForHealth(sink.name, 'healthy');
    expect(await health(sink.name)).toEqual({
      status: 'healthy',
      checks: [{ name: 'replication', status: 'healthy', message: 'the replication reader is running' }],
    });

    await sql(`INSERT INTO ${GROUPED} VALUES ('bad-1', 'g1', 1)`);
    await sql(`INSERT INTO ${GROUPED} VALUES ('ok-1', 'g1', 2)`);
    await sql(`INSERT INTO ${GROUPED} VALUES ('ok-2', 'g2', 3)`);

    // Another group is not held up.
    await waitFor(() => stack.sinkRedis.get(`sequin:${GROUPED}:ok-2`).then((v) => v ?? undefined), {
      message: 'the other group to be delivered',
    });
    const [failing] = await waitForMessages(sink.id, 'failing', 1);
    expect(failing).toMatchObject({
      seq: null,
      group_id: `public.${GROUPED}:g1`,
      deliver_count: expect.any(Number),
      last_error: expect.stringContaining('NOPERM'),
      commit_lsn: expect.any(Number),
      inserted_at: expect.any(String),
      data: { action: 'insert', record: { id: 'bad-1', grp: 'g1', v: 1 }, changes: null },
    });
    expect(failing!.deliver_count).toBeGreaterThanOrEqual(1);
    expect(failing!.id).toBe((failing!.data.metadata as { idempotency_key: string }).idempotency_key);
    expect(failing!.not_visible_until === null || !Number.isNaN(Date.parse(failing!.not_visible_until))).toBe(true);
    expect(await list(sink.id, 'dead')).toEqual([]);

    // The message behind it in its group waits, never attempted.
    const [waiting] = await waitForMessages(sink.id, 'pending', 1);
    expect(waiting).toMatchObject({
      deliver_count: 0,
      last_error: null,
      not_visible_until: null,
      group_id: `public.${GROUPED}:g1`,
      seq: expect.any(Number),
      data: { record: { id: 'ok-1', grp: 'g1', v: 2 } },
    });
    expect(await stack.sinkRedis.exists(`sequin:${GROUPED}:ok-1`)).toBe(0);

    const unhealthy = await health(sink.name);
    expect(unhealthy.status).toBe('error');
    expect(unhealthy.checks).toEqual([
      { name: 'replication', status: 'healthy', message: 'the replication reader is running' },
      {
        name: 'failing_messages',
        status: 'error',
        message: expect.stringMatching(/^1 message is failing and being retried; last error: .*NOPERM/),
      },
    ]);
    // The list shows the same health.
    const listed = (await client.GET('/api/sinks')).data!.data.find((s) => s.id === sink.id)!;
    expect(listed.health.status).toBe('error');

    const discarded = await client.POST('/api/sinks/{id_or_name}/messages/discard', {
      params: { path: { id_or_name: sink.name } },
      body: { ids: [failing!.id] },
    });
    expect(discarded.response.status).toBe(200);
    expect(discarded.data).toEqual({ success: true });
    expect(await list(sink.id, 'failing')).toEqual([]);

    const value = await waitFor(() => stack.sinkRedis.get(`sequin:${GROUPED}:ok-1`).then((v) => v ?? undefined), {
      message: 'the rest of the group to be delivered after the discard',
    });
    expect(JSON.parse(value).record).toEqual({ id: 'ok-1', grp: 'g1', v: 2 });
    expect(await stack.sinkRedis.exists(`sequin:${GROUPED}:bad-1`)).toBe(0);
    await waitForHealth(sink.id, 'healthy');
    await waitForMessages(sink.id, 'pending', 0);
  });

  it('dead-letters after max_retry_count, and redelivers a dead message once the key is fixed', async () => {
    const created = await stack.createSink({
      name: 'dead-cache',
      source: { include_tables: [DEAD] },
      max_retry_count: 1,
      destination: {
        type: 'redis_string',
        host: '127.0.0.1',
        port: stack.sinkRedisPort,
        username: users[1],
        password: POISON_PASSWORD,
      },
    });
    await waitForHealth(created.id, 'healthy');

    await sql(`INSERT INTO ${DEAD} VALUES ('bad-9', 9)`);
    const [dead] = await waitForMessages(created.id, 'dead', 1);
    expect(dead).toMatchObject({
      seq: null,
      group_id: `public.${DEAD}:bad-9`,
      deliver_count: 1,
      last_error: expect.stringContaining('NOPERM'),
      data: { action: 'insert', record: { id: 'bad-9', v: 9 } },
    });
    expect(await list(created.id, 'failing')).toEqual([]);
    const broken = await health(created.id);
    expect(broken).toEqual({
      status: 'error',
      checks: [
        { name: 'replication', status: 'healthy', message: 'the replication reader is running' },
        {
          name: 'dead_messages',
          status: 'error',
          message: expect.stringMatching(
            /^1 message was dead-lettered after max_retry_count attempts; last error: .*NOPERM/,
          ),
        },
      ],
    });

    // Redelivered while the key is still forbidden: the attempt counts, the message stays dead.
    const first = await client.POST('/api/sinks/{id_or_name}/messages/redeliver', {
      params: { path: { id_or_name: created.name } },
      body: { ids: [dead!.id] },
    });
    expect(first.data).toEqual({ success: true });
    await waitFor(async () => ((await list(created.id, 'dead'))[0]?.deliver_count === 2 ? true : undefined), {
      message: 'the failed redelivery to be counted',
    });

    await stack.sinkRedis.call('ACL', 'SETUSER', users[1]!, 'allkeys');
    // Without ids: every failing message (the spec's "all failing"); a dead one stays dead. A later row
    // delivered through the same sink shows the worker went on meanwhile.
    const allFailing = await client.POST('/api/sinks/{id_or_name}/messages/redeliver', {
      params: { path: { id_or_name: created.name } },
    });
    expect(allFailing.data).toEqual({ success: true });
    await sql(`INSERT INTO ${DEAD} VALUES ('ok-9', 9)`);
    await waitFor(() => stack.sinkRedis.get(`sequin:${DEAD}:ok-9`).then((v) => v ?? undefined), {
      message: 'a later row to be delivered',
    });
    expect(await list(created.id, 'dead')).toMatchObject([{ id: dead!.id, deliver_count: 2 }]);
    expect(await stack.sinkRedis.exists(`sequin:${DEAD}:bad-9`)).toBe(0);

    const again = await client.POST('/api/sinks/{id_or_name}/messages/redeliver', {
      params: { path: { id_or_name: created.name } },
      body: { ids: [dead!.id] },
    });
    expect(again.data).toEqual({ success: true });
    const value = await waitFor(() => stack.sinkRedis.get(`sequin:${DEAD}:bad-9`).then((v) => v ?? undefined), {
      message: 'the dead message to be redelivered',
    });
    expect(JSON.parse(value)).toMatchObject({ record: { id: 'bad-9', v: 9 }, action: 'insert' });
    await waitForMessages(created.id, 'dead', 0);
    await waitForHealth(created.id, 'healthy');
  });

  it('lists the most recently delivered messages, newest first, and exposes sink and slot metrics', async () => {
    const streamKey = `plain-${suffix}`;
    const sink = await stack.createSink({
      name: 'plain-stream',
      source: { include_tables: [PLAIN] },
      destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
    });
    for (let v = 1; v <= 5; v++) await sql(`INSERT INTO ${PLAIN} (v) VALUES ($1)`, [v]);
    await waitForStreamLength(stack.sinkRedis, streamKey, 5);

    const delivered = await waitForMessages(sink.id, 'delivered', 5);
    expect(delivered.map((m) => m.data.record.v)).toEqual([5, 4, 3, 2, 1]);
    for (const message of delivered) {
      expect(message).toMatchObject({
        deliver_count: 1,
        last_error: null,
        not_visible_until: null,
        seq: expect.any(Number),
        group_id: expect.stringMatching(new RegExp(`^public\\.${PLAIN}:\\d+$`)),
        data: { action: 'insert', metadata: { consumer: { id: sink.id, name: 'plain-stream' } } },
      });
      expect(message.id).toBe((message.data.metadata as { idempotency_key: string }).idempotency_key);
      expect(Date.parse(message.inserted_at)).not.toBeNaN();
    }
    const seqs = delivered.map((m) => m.seq!);
    expect([...seqs].sort((a, b) => b - a)).toEqual(seqs);
    expect((await list(sink.id, 'delivered', 2)).map((m) => m.id)).toEqual(delivered.slice(0, 2).map((m) => m.id));

    const scrape = async () => {
      const response = await fetch(`${stack.api.baseUrl}/metrics`);
      expect(response.status).toBe(200);
      return parseMetrics(await response.text());
    };
    const labels = { sink_id: sink.id, sink_name: 'plain-stream' };
    const metrics = await waitFor(
      async () => {
        const m = await scrape();
        return value(m, 'sluice_sink_messages_delivered_total', labels) === 5 ? m : undefined;
      },
      { message: 'the delivered counter to reach 5' },
    );
    expect(value(metrics, 'sluice_sink_messages_ingested_total', labels)).toBe(5);
    expect(value(metrics, 'sluice_sink_messages_in_flight', labels)).toBe(0);
    expect(value(metrics, 'sluice_sink_delivery_latency_seconds_count', labels)).toBe(5);
    const latencySum = value(metrics, 'sluice_sink_delivery_latency_seconds_sum', labels)!;
    expect(latencySum).toBeGreaterThanOrEqual(0);
    expect(latencySum).toBeLessThan(5 * 30);
    expect(value(metrics, 'sluice_sink_delivery_latency_seconds_bucket', { ...labels, le: '+Inf' })).toBe(5);
    // The poisoned sinks of the earlier tests failed at least once each.
    const grouped = [...metrics.entries()].filter(
      ([key]) => key.startsWith('sluice_sink_messages_failed_total{') && key.includes('sink_name="grouped-cache"'),
    );
    expect(grouped).toHaveLength(1);
    expect(grouped[0]![1]).toBeGreaterThanOrEqual(1);
    const lag = value(metrics, 'sluice_slot_replication_lag_bytes', { slot: stack.slotName });
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(64 * 1024 * 1024);
    const age = value(metrics, 'sluice_slot_last_change_age_seconds', { slot: stack.slotName });
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(300);
    // The API's own metrics are still there.
    expect([...metrics.keys()].some((key) => key.startsWith('sluice_http_requests_total{'))).toBe(true);
  });

  it('lists what a paused sink buffers as pending, and delivers it once active', async () => {
    const streamKey = `paused-${suffix}`;
    const sink = await stack.createSink({
      name: 'paused-stream',
      status: 'paused',
      source: { include_tables: [PAUSED] },
      destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
    });
    expect(sink.health).toEqual({
      status: 'paused',
      checks: [{ name: 'status', status: 'paused', message: 'the sink is paused' }],
    });
    for (let v = 1; v <= 3; v++) await sql(`INSERT INTO ${PAUSED} (v) VALUES ($1)`, [v]);
    const pending = await waitForMessages(sink.id, 'pending', 3);
    expect(pending.map((m) => m.data.record.v)).toEqual([1, 2, 3]);
    for (const message of pending) {
      expect(message).toMatchObject({ deliver_count: 0, last_error: null, not_visible_until: null });
    }
    expect((await list(sink.id, 'pending', 2)).map((m) => m.data.record.v)).toEqual([1, 2]);
    expect(await stack.sinkRedis.exists(streamKey)).toBe(0);
    expect((await health(sink.id)).status).toBe('paused');

    // Redeliver is refused while paused: the sink delivers nothing.
    const refused = await client.POST('/api/sinks/{id_or_name}/messages/redeliver', {
      params: { path: { id_or_name: sink.id } },
      body: {},
    });
    expect(refused.response.status).toBe(422);
    expect(refused.error).toMatchObject({
      summary: expect.any(String),
      validation_errors: { status: expect.any(Array) },
    });

    await client.PATCH('/api/sinks/{id_or_name}', {
      params: { path: { id_or_name: sink.id } },
      body: { status: 'active' },
    });
    await waitForStreamLength(stack.sinkRedis, streamKey, 3);
    await waitForMessages(sink.id, 'pending', 0);
    await waitForHealth(sink.id, 'healthy');
    expect((await list(sink.id, 'delivered')).map((m) => m.data.record.v)).toEqual([3, 2, 1]);
  });

  it('refuses bad parameters and bodies in the spec shape', async () => {
    const url = (path: string) => `${stack.api.baseUrl}/api/sinks/plain-stream/messages${path}`;
    const headers = { authorization: `Bearer ${stack.api.bootstrapToken}`, 'content-type': 'application/json' };
    for (const query of [
      '',
      '?state=lost',
      '?state=dead&limit=0',
      '?state=dead&limit=1001',
      '?state=dead&limit=x',
      '?state=dead&x=1',
    ]) {
      const response = await fetch(url(query), { headers });
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(await response.json()).toEqual({ summary: expect.any(String) });
    }
    const bodies: Array<[string, unknown, number]> = [
      ['/discard', {}, 422],
      ['/discard', { ids: [] }, 422],
      ['/discard', { ids: [42] }, 422],
      ['/discard', { ids: 'abc' }, 422],
      ['/discard', { ids: ['a'], colour: 'red' }, 422],
      ['/redeliver', { ids: [] }, 422],
      ['/redeliver', { ids: null }, 422],
      ['/redeliver', { everything: true }, 422],
      ['/redeliver', ['a'], 400],
    ];
    for (const [path, body, status] of bodies) {
      const response = await fetch(url(path), { method: 'POST', headers, body: JSON.stringify(body) });
      expect({ path, body, status: response.status }).toEqual({ path, body, status });
      const answer = (await response.json()) as Record<string, unknown>;
      expect(answer.summary).toEqual(expect.any(String));
      if (status === 422) expect(answer.validation_errors).toEqual(expect.any(Object));
    }
    const unknownSink = await client.GET('/api/sinks/{id_or_name}/messages', {
      params: { path: { id_or_name: 'no-such-sink' }, query: { state: 'dead' } },
    });
    expect(unknownSink.response.status).toBe(404);
  });

  it('answers 404 to another account on every messages route, by id and by name, and changes nothing', async () => {
    const sink = (await client.GET('/api/sinks/{id_or_name}', { params: { path: { id_or_name: 'grouped-cache' } } }))
      .data!;
    await sql(`INSERT INTO ${GROUPED} VALUES ('bad-2', 'g3', 1)`);
    const [failing] = await waitForMessages(sink.id, 'failing', 1);
    const other = await signupAccount(stack.api);
    for (const address of [sink.id, sink.name]) {
      const path = { id_or_name: address };
      for (const state of ['pending', 'failing', 'dead', 'delivered'] as const) {
        const listed = await other.client.GET('/api/sinks/{id_or_name}/messages', {
          params: { path, query: { state } },
        });
        expect(listed.response.status).toBe(404);
        expect(listed.error).toEqual({ summary: expect.any(String) });
      }
      const redeliver = await other.client.POST('/api/sinks/{id_or_name}/messages/redeliver', {
        params: { path },
        body: { ids: [failing!.id] },
      });
      expect(redeliver.response.status).toBe(404);
      const discard = await other.client.POST('/api/sinks/{id_or_name}/messages/discard', {
        params: { path },
        body: { ids: [failing!.id] },
      });
      expect(discard.response.status).toBe(404);
    }
    expect((await list(sink.id, 'failing')).map((m) => m.id)).toEqual([failing!.id]);
    // The owner can still act on it.
    await client.POST('/api/sinks/{id_or_name}/messages/discard', {
      params: { path: { id_or_name: sink.id } },
      body: { ids: [failing!.id] },
    });
    expect(await list(sink.id, 'failing')).toEqual([]);
  });
});

/** Prometheus text → `name{labels}` (labels sorted) → value. */
function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}="${v}"`).sort();
    values.set(`${match[1]}{${labels.join(',')}}`, Number(match[3]));
  }
  return values;
}

function value(metrics: Map<string, number>, name: string, labels: Record<string, string>): number | undefined {
  const key = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  return metrics.get(`${name}{${key}}`);
}
