import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { waitFor } from '#testing/databases.js';
import { type EngineStack, type SinkCreate, type SinkResponse, startEngineStack } from '#testing/engine.js';
import { entries, entriesWhenLength, summary } from './stream-entries.js';

/**
 * Which changes reach which sink: source include/exclude of tables and schemas, actions, truncate,
 * tables without a primary key, a sink created while changes flow (start_lsn), and schema changes
 * under a running reader. Every sink here is a Redis Stream: its total order means that once a
 * change committed later is in the stream, anything routed before it is there too, so absence is
 * checked exactly, without waiting for time to pass.
 */
const SETUP = [
  `CREATE TABLE r_orders (id int PRIMARY KEY, v text)`,
  `CREATE TABLE r_items (id int PRIMARY KEY, v text)`,
  `CREATE SCHEMA sales`,
  `CREATE TABLE sales.r_orders (id int PRIMARY KEY, v text)`,
  `CREATE TABLE sales.r_leads (id int PRIMARY KEY, v text)`,
  `CREATE TABLE r_nopk (id int, v text)`,
  `ALTER TABLE r_nopk REPLICA IDENTITY FULL`,
  `CREATE TABLE r_seq (id serial PRIMARY KEY, v text)`,
  `CREATE TABLE r_alter (id int PRIMARY KEY, v text)`,
  `CREATE TABLE r_part (id int, region text, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region)`,
  `CREATE TABLE r_part_eu PARTITION OF r_part FOR VALUES IN ('eu')`,
  `CREATE TABLE r_part_us PARTITION OF r_part FOR VALUES IN ('us')`,
];

describe('engine: routing', () => {
  let stack: EngineStack;
  const prefix = `routing-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    stack = await startEngineStack(SETUP);
  });
  afterAll(() => stack.close());

  async function streamSink(name: string, fields: Omit<SinkCreate, 'name' | 'destination' | 'database'> = {}) {
    const streamKey = `${prefix}-${name}`;
    const sink = await stack.createSink({
      name,
      destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
      ...fields,
    });
    return { sink, streamKey };
  }

  async function deleteSinks(...sinks: Array<{ sink: SinkResponse }>): Promise<void> {
    for (const { sink } of sinks) {
      const { response } = await stack.api.client.DELETE('/api/sinks/{id_or_name}', {
        params: { path: { id_or_name: sink.id } },
      });
      expect(response.status).toBe(200);
    }
  }

  it('routes by include/exclude of tables and schemas and by actions; truncate only when listed, one message per table', async () => {
    type Op = { table: string; action: string; id: number | null };
    const TABLES = ['public.r_orders', 'public.r_items', 'sales.r_orders', 'sales.r_leads', 'public.r_nopk'];
    const sinks = {
      includeTables: await streamSink('include-tables', {
        source: { include_tables: ['r_orders', 'sales.r_leads'] },
      }),
      excludeTables: await streamSink('exclude-tables', {
        source: { exclude_tables: ['r_orders', 'r_nopk', 'r_seq', 'r_alter'] },
      }),
      includeSchemas: await streamSink('include-schemas', { source: { include_schemas: ['sales'] } }),
      excludeSchemas: await streamSink('exclude-schemas', {
        source: { exclude_schemas: ['sales'] },
        tables: [{ name: 'r_orders', group_column_names: ['v'] }],
        message_grouping: false,
      }),
      onlyInserts: await streamSink('only-inserts', {
        source: { include_tables: ['r_orders', 'r_items'] },
        actions: ['insert'],
      }),
      withTruncate: await streamSink('with-truncate', {
        source: { exclude_tables: ['r_seq', 'r_alter'] },
        actions: ['insert', 'update', 'delete', 'truncate'],
      }),
      deletesAndTruncates: await streamSink('deletes-truncates', {
        source: { include_schemas: ['sales'] },
        actions: ['delete', 'truncate'],
      }),
    };
    const wants: Record<keyof typeof sinks, (op: Op) => boolean> = {
      includeTables: (op) => ['public.r_orders', 'sales.r_leads'].includes(op.table) && op.action !== 'truncate',
      excludeTables: (op) => !['public.r_orders', 'public.r_nopk'].includes(op.table) && op.action !== 'truncate',
      includeSchemas: (op) => op.table.startsWith('sales.') && op.action !== 'truncate',
      excludeSchemas: (op) => op.table.startsWith('public.') && op.action !== 'truncate',
      onlyInserts: (op) => ['public.r_orders', 'public.r_items'].includes(op.table) && op.action === 'insert',
      withTruncate: () => true,
      deletesAndTruncates: (op) => op.table.startsWith('sales.') && ['delete', 'truncate'].includes(op.action),
    };

    const { client } = stack.source;
    const ops: Op[] = [];
    const each = async (action: string, id: number, sql: (table: string) => string) => {
      await client.query('BEGIN');
      for (const table of TABLES) {
        await client.query(sql(table));
        ops.push({ table, action, id });
      }
      await client.query('COMMIT');
    };
    await each('insert', 1, (t) => `INSERT INTO ${t} VALUES (1, 'one')`);
    await each('update', 1, (t) => `UPDATE ${t} SET v = 'uno' WHERE id = 1`);
    await each('insert', 2, (t) => `INSERT INTO ${t} VALUES (2, 'two')`);
    await each('delete', 1, (t) => `DELETE FROM ${t} WHERE id = 1`);
    await client.query(`TRUNCATE public.r_orders, sales.r_orders`);
    ops.push({ table: 'public.r_orders', action: 'truncate', id: null });
    ops.push({ table: 'sales.r_orders', action: 'truncate', id: null });
    // Last, a change each sink takes: once it is in a stream, everything before it is.
    await each('insert', 99, (t) => `INSERT INTO ${t} VALUES (99, 'last')`);
    await each('delete', 99, (t) => `DELETE FROM ${t} WHERE id = 99`);
    const describeOps = (list: Op[]) => list.map((op) => `${op.table} ${op.action} ${op.id ?? '-'}`);

    for (const [name, { streamKey }] of Object.entries(sinks) as Array<[keyof typeof sinks, { streamKey: string }]>) {
      const expected = describeOps(ops.filter(wants[name]));
      const actual = summary(await entriesWhenLength(stack, streamKey, expected.length));
      expect({ sink: name, entries: actual }).toEqual({ sink: name, entries: expected });
    }

    // Truncate: one message per table, record {}, changes null, each with its own commit_idx and key.
    const truncates = (await entries(stack, sinks.withTruncate.streamKey)).filter((e) => e.action === 'truncate');
    expect(truncates.map((e) => [e.table, e.record, e.changes, e.metadata.record_pks, e.metadata.commit_idx])).toEqual([
      ['public.r_orders', {}, null, [], 0],
      ['sales.r_orders', {}, null, [], 1],
    ]);
    expect(truncates[0]!.metadata.commit_lsn).toBe(truncates[1]!.metadata.commit_lsn);
    expect(truncates[0]!.metadata.idempotency_key).not.toBe(truncates[1]!.metadata.idempotency_key);

    // A table without a primary key is delivered all the same: no record_pks, the full old row on delete.
    const noPk = (await entries(stack, sinks.withTruncate.streamKey)).filter((e) => e.table === 'public.r_nopk');
    expect(noPk.map((e) => [e.action, e.record, e.metadata.record_pks])).toEqual([
      ['insert', { id: 1, v: 'one' }, []],
      ['update', { id: 1, v: 'uno' }, []],
      ['insert', { id: 2, v: 'two' }, []],
      ['delete', { id: 1, v: 'uno' }, []],
      ['insert', { id: 99, v: 'last' }, []],
      ['delete', { id: 99, v: 'last' }, []],
    ]);
    expect(noPk.find((e) => e.action === 'update')!.changes).toEqual({ v: 'one' });

    await deleteSinks(...Object.values(sinks));
  });

  it('gives a sink created while changes flow every change committed from its start_lsn on, and none before', async () => {
    const reference = await streamSink('seq-reference', { source: { include_tables: ['r_seq'] } });
    const writer = new pg.Client(stack.source.url);
    await writer.connect();
    let written = 0;
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        await writer.query(`INSERT INTO r_seq (v) VALUES ($1)`, [`row ${written}`]);
        written++;
      }
    })();
    let late: Awaited<ReturnType<typeof streamSink>> | undefined;
    try {
      await waitFor(async () => written >= 100, { message: 'the writer to get going' });
      late = await streamSink('seq-late', { source: { include_tables: ['r_seq'] } });
      const atCreation = written;
      await waitFor(async () => written >= atCreation + 100, { message: 'more rows after the sink was created' });
    } finally {
      stop = true;
      await loop;
      await writer.end();
    }
    await stack.source.client.query(`INSERT INTO r_seq (v) VALUES ('last')`);
    const total = written + 1;

    const all = await entriesWhenLength(stack, reference.streamKey, total);
    expect(all).toHaveLength(total);
    const startLsn = late!.sink.start_lsn;
    const before = all.filter((e) => e.metadata.commit_lsn < startLsn);
    const after = all.filter((e) => e.metadata.commit_lsn >= startLsn);
    expect(before.length).toBeGreaterThanOrEqual(100);
    expect(after.length).toBeGreaterThanOrEqual(100);
    expect(before.concat(after)).toEqual(all); // commit order

    const received = await entriesWhenLength(stack, late!.streamKey, after.length);
    expect(received.map((e) => e.metadata.idempotency_key)).toEqual(after.map((e) => e.metadata.idempotency_key));
    expect(received.map((e) => e.record)).toEqual(after.map((e) => e.record));
    await deleteSinks(reference, late!);
  });

  it('carries columns added (and drops columns removed) by ALTER TABLE while the reader runs, new enum types included', async () => {
    const { streamKey, sink } = await streamSink('alter', { source: { include_tables: ['r_alter'] } });
    const { client } = stack.source;
    await client.query(`INSERT INTO r_alter VALUES (1, 'a')`);
    await client.query(`ALTER TABLE r_alter ADD COLUMN extra text DEFAULT 'dflt'`);
    await client.query(`INSERT INTO r_alter VALUES (2, 'b', 'x')`);
    await client.query(`UPDATE r_alter SET v = 'a2' WHERE id = 1`);
    await client.query(`CREATE TYPE r_mood AS ENUM ('happy', 'sad')`);
    await client.query(`ALTER TABLE r_alter ADD COLUMN mood r_mood, ADD COLUMN moods r_mood[]`);
    await client.query(`INSERT INTO r_alter VALUES (3, 'c', 'y', 'sad', '{happy,sad}')`);
    await client.query(`ALTER TABLE r_alter DROP COLUMN v`);
    await client.query(`INSERT INTO r_alter (id) VALUES (4)`);
    await client.query(`DELETE FROM r_alter WHERE id = 2`);

    const list = await entriesWhenLength(stack, streamKey, 6);
    expect(list.map((e) => [e.action, e.record])).toEqual([
      ['insert', { id: 1, v: 'a' }],
      ['insert', { id: 2, v: 'b', extra: 'x' }],
      ['update', { id: 1, v: 'a2', extra: 'dflt' }],
      ['insert', { id: 3, v: 'c', extra: 'y', mood: 'sad', moods: ['happy', 'sad'] }],
      ['insert', { id: 4, extra: 'dflt', mood: null, moods: null }],
      ['delete', { id: 2, extra: null, mood: null, moods: null }],
    ]);
    await deleteSinks({ sink });
  });

  // The publication Sluice creates has publish_via_partition_root off: pgoutput names the partitions,
  // the reader attributes their changes to the root, and the API must offer the root's name for scoping.
  it('delivers the changes of a partitioned table to a sink scoped to a name the API offers for it', async () => {
    const { data } = await stack.api.client.GET('/api/postgres_databases/{id_or_name}', {
      params: { path: { id_or_name: stack.databaseId } },
    });
    const offered = data!.tables.filter((t) => t.name.startsWith('r_part')).map((t) => `${t.schema}.${t.name}`);
    expect(offered.length).toBeGreaterThan(0);
    const sinks = await Promise.all(
      offered.map(async (name) => ({
        name,
        ...(await streamSink(`part-${name}`, { source: { include_tables: [name] } })),
      })),
    );
    await stack.source.client.query(`INSERT INTO r_part VALUES (1, 'eu', 'a'), (2, 'us', 'b')`);

    const received = async () => (await Promise.all(sinks.map((s) => entries(stack, s.streamKey)))).flat();
    await waitFor(async () => (await received()).length >= 2, { timeoutMs: 10_000 }).catch(() => undefined);
    for (const sink of sinks) {
      // Each sink receives only changes named after the table it was scoped to.
      for (const entry of await entries(stack, sink.streamKey)) expect(entry.table).toBe(sink.name);
    }
    expect((await received()).map((e) => [e.record.id, e.metadata.record_pks]).sort()).toEqual([
      [1, ['1', 'eu']],
      [2, ['2', 'us']],
    ]);
    await deleteSinks(...sinks);
  });
});
