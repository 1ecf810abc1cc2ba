import { waitFor } from '#testing/databases.js';
import { type EngineStack, readStream, startEngineStack, waitForStreamLength } from '#testing/engine.js';

const TABLE = `CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, amount numeric(10,2), updated_at timestamptz DEFAULT now())`;

describe('engine: redis_stream', () => {
  let stack: EngineStack;

  beforeAll(async () => {
    stack = await startEngineStack([TABLE]);
  });
  afterAll(() => stack.close());

  async function currentWalLsn(): Promise<bigint> {
    const { rows } = await stack.source.client.query<{ lsn: string }>(
      `SELECT (pg_current_wal_lsn() - '0/0')::text AS lsn`,
    );
    return BigInt(rows[0]!.lsn);
  }

  it('delivers every committed change in commit order, with the spec envelope', async () => {
    const streamKey = `orders-${Date.now()}`;
    const sink = await stack.createSink({
      name: 'orders-stream',
      source: { include_tables: ['orders'] },
      destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
    });

    const { client } = stack.source;
    for (let i = 0; i < 20; i++) {
      await client.query('BEGIN');
      await client.query(`INSERT INTO orders (customer, amount) VALUES ($1, $2)`, [`c${i}`, `${i}.50`]);
      await client.query(`INSERT INTO orders (customer, amount) VALUES ($1, $2)`, [`d${i}`, `${i}.25`]);
      await client.query('COMMIT');
    }
    await client.query(`UPDATE orders SET amount = amount + 1 WHERE id % 2 = 0`);
    await client.query(`DELETE FROM orders WHERE id % 5 = 0`);
    const expected = 40 + 20 + 8;

    await waitForStreamLength(stack.sinkRedis, streamKey, expected);
    const entries = await readStream(stack.sinkRedis, streamKey);
    expect(entries).toHaveLength(expected);

    const metadata = entries.map(
      (e) => JSON.parse(e.fields.metadata!) as { commit_lsn: number; commit_idx: number; idempotency_key: string },
    );
    const positions = metadata.map((m) => [m.commit_lsn, m.commit_idx] as const);
    const sorted = [...positions].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(positions).toEqual(sorted);
    expect(new Set(metadata.map((m) => m.idempotency_key)).size).toBe(expected);

    const first = entries[0]!.fields;
    expect(Object.keys(first)).toEqual(['record', 'changes', 'action', 'metadata']);
    expect(first.action).toBe('insert');
    expect(first.changes).toBe('null');
    expect(JSON.parse(first.record!)).toMatchObject({ id: 1, customer: 'c0', amount: '0.50' });
    const meta = JSON.parse(first.metadata!);
    expect(meta).toMatchObject({
      table_schema: 'public',
      table_name: 'orders',
      commit_idx: 0,
      record_pks: ['1'],
      consumer: { id: sink.id, name: 'orders-stream', annotations: {} },
      database: { id: stack.databaseId, name: stack.databaseName },
    });
    expect(Buffer.from(meta.idempotency_key, 'base64').toString()).toBe(`${meta.commit_lsn}:0`);
    expect(meta.commit_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

    const actions = entries.map((e) => e.fields.action);
    expect(actions.filter((a) => a === 'update')).toHaveLength(20);
    expect(actions.filter((a) => a === 'delete')).toHaveLength(8);
    const update = entries.find((e) => e.fields.action === 'update')!;
    expect(JSON.parse(update.fields.changes!)).toEqual({});
  });

  it('moves the slot when the source is idle or writes only out of scope, delivering nothing', async () => {
    const streamKey = `orders-idle-${Date.now()}`;
    await stack.createSink({
      name: 'orders-idle',
      source: { include_tables: ['orders'] },
      destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
    });
    // Valid only if no sink on the slot takes `unrelated`: then nothing is delivered for those writes.
    const { data: sinks } = await stack.api.client.GET('/api/sinks');
    const onSlot = sinks!.data.filter((sink) => sink.database_id === stack.databaseId);
    expect(onSlot.map((sink) => sink.source.include_tables)).toEqual(onSlot.map(() => ['public.orders']));

    // The sink is running once an in-scope change reaches its stream.
    await stack.source.client.query(`INSERT INTO orders (customer) VALUES ('before-idle')`);
    await waitForStreamLength(stack.sinkRedis, streamKey, 1);

    // Out-of-scope transactions, then WAL holding no transaction at all (a checkpoint record): only
    // idle keepalives can carry the slot past the latter.
    await stack.source.client.query(`CREATE TABLE unrelated (id int PRIMARY KEY)`);
    for (let i = 1; i <= 20; i++) await stack.source.client.query(`INSERT INTO unrelated VALUES ($1)`, [i]);
    const afterTransactions = await currentWalLsn();
    await stack.source.client.query('CHECKPOINT');
    const afterWrites = await currentWalLsn();
    expect(afterWrites).toBeGreaterThan(afterTransactions);
    await waitFor(async () => (await stack.confirmedFlushLsn()) >= afterWrites, {
      timeoutMs: 30_000,
      message: 'the slot to be confirmed past WAL holding only out-of-scope writes and a checkpoint',
    });
    expect(await stack.sinkRedis.xlen(streamKey)).toBe(1);
  });
});
