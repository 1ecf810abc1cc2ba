import { Redis } from 'ioredis';
import { randomSuffix, testRedisUrl, waitFor } from '#testing/databases.js';
import { type EngineStack, readStream, startEngineStack } from '#testing/engine.js';
import { EVERYTHING_TABLE_SQL, EVERYTHING_VALUES_SQL } from '#testing/type-samples.js';
import {
  type BackfillView,
  createBackfill,
  getBackfill,
  setBackfillState,
  waitForBackfill,
} from './backfill-support.js';

const PAGED_ROWS = 3000;
/** The test Redis database only this file's Redis String sinks use. */
const STRING_DB = 7;

interface StreamEntry {
  fields: string[];
  action: string;
  record: Record<string, unknown>;
  metadata: { table_name: string; commit_lsn: number; idempotency_key: string; record_pks: string[] };
}

const completed = (b: BackfillView): boolean => b.state === 'completed';

describe('backfills: a table’s current rows as read messages', () => {
  let stack: EngineStack;
  let strings: Redis;

  beforeAll(async () => {
    stack = await startEngineStack([
      EVERYTHING_TABLE_SQL,
      `CREATE TABLE bf_composite (region text, id int, v text, PRIMARY KEY (region, id))`,
      `INSERT INTO bf_composite SELECT (ARRAY['eu', 'us', 'ap'])[1 + g % 3], g, 'v' || g FROM generate_series(1, 2500) g`,
      `CREATE TABLE bf_enum (m mood PRIMARY KEY, v int)`,
      `INSERT INTO bf_enum VALUES ('so-so', 3), ('happy', 1), ('sad', 2)`,
      `CREATE TABLE bf_uuid (id uuid PRIMARY KEY, v int)`,
      `INSERT INTO bf_uuid SELECT gen_random_uuid(), g FROM generate_series(1, 1500) g`,
      // A legal column name that a plain JavaScript object takes for its prototype.
      `CREATE TABLE bf_proto (id int PRIMARY KEY, "__proto__" text, i interval, j jsonb)`,
      `CREATE TABLE bf_paged (id int PRIMARY KEY, v int NOT NULL, at timestamptz NOT NULL)`,
      `INSERT INTO bf_paged SELECT g, 0, '2026-01-01T00:00:00Z'::timestamptz + make_interval(mins => ${PAGED_ROWS} - g)
         FROM generate_series(1, ${PAGED_ROWS}) g`,
    ]);
    strings = new Redis(testRedisUrl(STRING_DB));
    await strings.flushdb();
  });
  afterAll(async () => {
    strings?.disconnect();
    await stack?.close();
  });

  async function streamSink(tables: string[], extra: Record<string, unknown> = {}) {
    const streamKey = `bf-${randomSuffix()}`;
    const sink = await stack.createSink({
      name: `bf-stream-${randomSuffix()}`,
      source: { include_tables: tables },
      destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
      ...extra,
    });
    return { sink, streamKey };
  }

  async function streamEntries(key: string): Promise<StreamEntry[]> {
    return (await readStream(stack.sinkRedis, key)).map(({ fields }) => ({
      fields: Object.keys(fields),
      action: fields.action!,
      record: JSON.parse(fields.record!),
      metadata: JSON.parse(fields.metadata!),
    }));
  }

  async function reads(key: string, table: string): Promise<StreamEntry[]> {
    return (await streamEntries(key)).filter((e) => e.action === 'read' && e.metadata.table_name === table);
  }

  it('encodes a read exactly as the live insert of the same row, for every type, in the read wire format', async () => {
    const { sink, streamKey } = await streamSink(['everything']);
    await stack.source.client.query(EVERYTHING_VALUES_SQL);
    await waitFor(async () => (await stack.sinkRedis.xlen(streamKey)) === 1, { message: 'the live insert' });

    const backfill = await createBackfill(stack, sink.name, { table: 'public.everything' });
    expect(backfill).toMatchObject({ state: 'active', table: 'public.everything', rows_processed_count: 0 });
    const done = await waitForBackfill(stack, sink.name, backfill.id, completed);
    expect(done).toMatchObject({ rows_initial_count: 1, rows_processed_count: 1, rows_ingested_count: 1 });
    expect(done.completed_at).not.toBeNull();

    const [insert, read] = await streamEntries(streamKey);
    expect(insert!.action).toBe('insert');
    expect(read!.fields).toEqual(['record', 'action', 'metadata']); // no `changes` field for reads
    expect(read!.record).toEqual(insert!.record);
    expect(read!.metadata.idempotency_key).toBe(Buffer.from(`${backfill.id}:1`).toString('base64'));
    expect(read!.metadata.commit_lsn).toBeGreaterThan(insert!.metadata.commit_lsn);
  });

  it('keeps a column named __proto__ in changes and reads, as its own key', async () => {
    const { sink, streamKey } = await streamSink(['bf_proto']);
    await stack.source.client.query(`INSERT INTO bf_proto VALUES (1, 'hello', '1 day', '{"a": 1}')`);
    await stack.source.client.query(`UPDATE bf_proto SET "__proto__" = 'bye' WHERE id = 1`);
    await waitFor(async () => (await stack.sinkRedis.xlen(streamKey)) === 2, { message: 'the live changes' });
    const backfill = await createBackfill(stack, sink.name, { table: 'public.bf_proto' });
    await waitForBackfill(stack, sink.name, backfill.id, completed);

    const [insert, update, read] = await readStream(stack.sinkRedis, streamKey);
    const record = '{"id":1,"__proto__":"%s","i":{"months":0,"days":1,"microseconds":0},"j":{"a": 1}}';
    expect(insert!.fields.record).toBe(record.replace('%s', 'hello'));
    expect(update!.fields.record).toBe(record.replace('%s', 'bye'));
    expect(read!.fields.record).toBe(record.replace('%s', 'bye'));
  });

  it('pages composite, enum and uuid primary keys in key order, every row exactly once', async () => {
    const { sink, streamKey } = await streamSink(['bf_composite', 'bf_enum', 'bf_uuid']);
    const started = await Promise.all(
      ['bf_composite', 'bf_enum', 'bf_uuid'].map((table) => createBackfill(stack, sink.name, { table })),
    );
    const done = await Promise.all(started.map((b) => waitForBackfill(stack, sink.name, b.id, completed)));
    expect(done.map((b) => b.rows_processed_count)).toEqual([2500, 3, 1500]);

    const expectKeyOrder = async (table: string, sql: string) => {
      const { rows } = await stack.source.client.query<{ pks: string[] }>(sql);
      const got = (await reads(streamKey, table)).map((e) => e.metadata.record_pks);
      expect(got).toEqual(rows.map((row) => row.pks));
    };
    await expectKeyOrder('bf_composite', `SELECT ARRAY[region, id::text] AS pks FROM bf_composite ORDER BY region, id`);
    await expectKeyOrder('bf_enum', `SELECT ARRAY[m::text] AS pks FROM bf_enum ORDER BY m`);
    await expectKeyOrder('bf_uuid', `SELECT ARRAY[id::text] AS pks FROM bf_uuid ORDER BY id`);
    const enums = await reads(streamKey, 'bf_enum');
    expect(enums.map((e) => e.record)).toEqual([
      { m: 'happy', v: 1 },
      { m: 'sad', v: 2 },
      { m: 'so-so', v: 3 },
    ]);
  });

  it('delivers reads to a Sequin Stream sink', async () => {
    const sink = await stack.createSink({
      name: `bf-pull-${randomSuffix()}`,
      source: { include_tables: ['bf_uuid'] },
      destination: { type: 'sequin_stream' },
    });
    const backfill = await createBackfill(stack, sink.name);
    await waitForBackfill(stack, sink.name, backfill.id, completed);
    const received: Array<{ ack_id: string; data: { action: string; record: { v: number } } }> = [];
    await waitFor(async () => {
      const response = await fetch(`${stack.api.baseUrl}/api/sequin_streams/${sink.name}/receive?batch_size=1000`, {
        headers: { authorization: `Bearer ${stack.api.bootstrapToken}` },
      });
      const { data } = (await response.json()) as { data: typeof received };
      received.push(...data);
      if (data.length > 0) {
        await fetch(`${stack.api.baseUrl}/api/sequin_streams/${sink.name}/ack`, {
          method: 'POST',
          headers: { authorization: `Bearer ${stack.api.bootstrapToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ack_ids: data.map((m) => m.ack_id) }),
        });
      }
      return received.length >= 1500;
    });
    expect(received.every((m) => m.data.action === 'read')).toBe(true);
    expect(new Set(received.map((m) => m.data.record.v)).size).toBe(1500);
  });

  it('a partial backfill starts at start_position of its sort column and follows that column', async () => {
    const { sink, streamKey } = await streamSink(['bf_paged']);
    const from = '2026-01-01T16:40:00Z'; // minute 1000 of the table's timestamps
    const backfill = await createBackfill(stack, sink.name, { sort_column: 'at', start_position: from });
    const done = await waitForBackfill(stack, sink.name, backfill.id, completed);
    const { rows } = await stack.source.client.query<{ id: number }>(
      `SELECT id FROM bf_paged WHERE at >= $1 ORDER BY at, id`,
      [from],
    );
    expect(rows).toHaveLength(PAGED_ROWS - 1000);
    expect(done.rows_initial_count).toBe(rows.length);
    expect((await reads(streamKey, 'bf_paged')).map((e) => e.record.id)).toEqual(rows.map((r) => r.id));
  });

  /** A paused sink takes no page to the end, so a backfill on it stops mid-way (until the sink is active again). */
  async function setSinkStatus(sink: string, status: 'active' | 'paused'): Promise<void> {
    const { response } = await stack.api.client.PATCH('/api/sinks/{id_or_name}', {
      params: { path: { id_or_name: sink } },
      body: { status },
    });
    expect(response.status).toBe(200);
  }

  /** rows_processed_count once it has stopped moving. */
  async function settledCount(sink: string, id: string): Promise<number> {
    let previous = -1;
    return waitFor(
      async () => {
        const count = (await getBackfill(stack, sink, id)).rows_processed_count;
        const stable = count === previous;
        previous = count;
        return stable ? count : undefined;
      },
      { intervalMs: 1_000, timeoutMs: 15_000, message: 'the backfill to stop reading' },
    );
  }

  /** A backfill of bf_paged on a fresh sink, held mid-way by pausing the sink. */
  async function backfillHeldMidway(destination: Record<string, unknown>) {
    // max_ack_pending 40: pages of at most 20 rows.
    const sink = await stack.createSink({
      name: `bf-held-${randomSuffix()}`,
      source: { include_tables: ['bf_paged'] },
      max_ack_pending: 40,
      destination: destination as never,
    });
    const backfill = await createBackfill(stack, sink.name);
    await waitForBackfill(stack, sink.name, backfill.id, (b) => b.rows_processed_count >= 100);
    await setSinkStatus(sink.name, 'paused');
    const held = await settledCount(sink.name, backfill.id);
    expect(held).toBeLessThan(PAGED_ROWS);
    expect((await getBackfill(stack, sink.name, backfill.id)).state).toBe('active');
    return { sink, backfill, held };
  }

  it('resumes from its saved cursor after the worker restarts, not from the start', async () => {
    const destination = { type: 'redis_string', host: '127.0.0.1', port: stack.sinkRedisPort, database: STRING_DB };
    const { sink, backfill, held } = await backfillHeldMidway(destination);
    await stack.restartWorker(); // the page the paused sink held is lost with the old session
    await setSinkStatus(sink.name, 'active');
    const done = await waitForBackfill(stack, sink.name, backfill.id, completed, 60_000);
    // Only the page in flight at the restart is read twice.
    expect(held).toBeGreaterThanOrEqual(100);
    expect(done.rows_processed_count).toBeGreaterThanOrEqual(PAGED_ROWS);
    expect(done.rows_processed_count).toBeLessThanOrEqual(PAGED_ROWS + 20);
    await waitFor(async () => (await strings.dbsize()) === PAGED_ROWS, { message: 'every row in the cache' });
  });

  it('pauses between pages, resumes where it paused, and stops for good when cancelled', async () => {
    const streamKey = `bf-pause-${randomSuffix()}`;
    const destination = { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey };
    const { sink, backfill } = await backfillHeldMidway(destination);
    expect((await setBackfillState(stack, sink.name, backfill.id, 'paused')).state).toBe('paused');
    await setSinkStatus(sink.name, 'active');
    const pausedAt = await settledCount(sink.name, backfill.id); // the page in flight finishes, no more
    expect(pausedAt).toBeLessThan(PAGED_ROWS);
    expect((await getBackfill(stack, sink.name, backfill.id)).state).toBe('paused');

    await setBackfillState(stack, sink.name, backfill.id, 'active');
    const done = await waitForBackfill(stack, sink.name, backfill.id, completed, 60_000);
    expect(done.rows_processed_count).toBe(PAGED_ROWS); // paused between pages: nothing read twice
    const ids = (await reads(streamKey, 'bf_paged')).map((e) => e.record.id);
    expect(ids).toHaveLength(PAGED_ROWS);
    expect(new Set(ids).size).toBe(PAGED_ROWS);

    const again = await createBackfill(stack, sink.name);
    await waitForBackfill(stack, sink.name, again.id, (b) => b.rows_processed_count > 0);
    await setSinkStatus(sink.name, 'paused');
    const cancelled = await setBackfillState(stack, sink.name, again.id, 'cancelled');
    expect(cancelled).toMatchObject({ state: 'cancelled', canceled_at: expect.any(String) });
    await setSinkStatus(sink.name, 'active');
    expect(await settledCount(sink.name, again.id)).toBeLessThan(PAGED_ROWS);
    expect((await getBackfill(stack, sink.name, again.id)).state).toBe('cancelled');
  });

  it('initial_backfill backfills every table in scope when the sink is created', async () => {
    const streamKey = `bf-initial-${randomSuffix()}`;
    const sink = await stack.createSink({
      name: `bf-initial-${randomSuffix()}`,
      source: { include_tables: ['bf_enum', 'bf_uuid'] },
      initial_backfill: true,
      destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
    });
    expect(sink.active_backfills.map((b) => (b as { table: string }).table).sort()).toEqual([
      'public.bf_enum',
      'public.bf_uuid',
    ]);
    await waitFor(async () => (await stack.sinkRedis.xlen(streamKey)) === 1503, { timeoutMs: 30_000 });
    const entries = await streamEntries(streamKey);
    expect(entries.every((e) => e.action === 'read')).toBe(true);
  });
});
