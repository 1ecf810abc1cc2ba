import { waitFor } from '#testing/databases.js';
import { type EngineStack, readStream, startEngineStack } from '#testing/engine.js';
import { type BackfillView, createBackfill, waitForBackfill } from './backfill-support.js';

const completed = (b: BackfillView): boolean => b.state === 'completed';

/**
 * A backfill's reads carry what the table's changes carry: pgoutput leaves out generated columns
 * (before Postgres 18) and the columns a publication's column list leaves out, and sends no row its
 * row filter refuses. A read with more columns than the changes, or of a row no change will ever
 * follow, would leave a Redis String cache holding what the stream never updates.
 */
describe('backfills follow what the publication sends', () => {
  let stack: EngineStack;
  const streamKey = `bf-published-${Date.now()}`;

  beforeAll(async () => {
    stack = await startEngineStack(
      [
        `CREATE TABLE bf_generated (id int PRIMARY KEY, a int NOT NULL, doubled int GENERATED ALWAYS AS (a * 2) STORED)`,
        `INSERT INTO bf_generated (id, a) SELECT g, g FROM generate_series(1, 5) g`,
        `CREATE TABLE bf_listed (id int PRIMARY KEY, shown text, hidden text, n int NOT NULL)`,
        `INSERT INTO bf_listed SELECT g, 'shown ' || g, 'hidden ' || g, g % 3 FROM generate_series(1, 30) g`,
      ],
      { publicationFor: 'TABLE bf_generated, bf_listed (id, shown, n) WHERE (n > 0)' },
    );
  });
  afterAll(() => stack?.close());

  it('reads the columns and rows a change would carry: no generated column, only the listed ones, only rows the filter passes', async () => {
    const sink = await stack.createSink({
      name: 'published-only',
      source: { include_tables: ['bf_generated', 'bf_listed'] },
      destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
    });
    await stack.source.client.query(`INSERT INTO bf_generated (id, a) VALUES (100, 7)`);
    await stack.source.client.query(
      `INSERT INTO bf_listed VALUES (100, 'live', 'secret', 4), (101, 'filtered', 'x', 0)`,
    );
    await waitFor(async () => (await stack.sinkRedis.xlen(streamKey)) === 2, { message: 'the two live inserts' });

    const started = await Promise.all(
      ['bf_generated', 'bf_listed'].map((table) => createBackfill(stack, sink.name, { table })),
    );
    const done = await Promise.all(started.map((b) => waitForBackfill(stack, sink.name, b.id, completed)));
    // bf_listed: ids 1..30 with n = id % 3 > 0 (20 rows) and the live 100; 101 is filtered out.
    expect(done.map((b) => b.rows_processed_count)).toEqual([6, 21]);

    const entries = (await readStream(stack.sinkRedis, streamKey)).map(({ fields }) => ({
      action: fields.action!,
      table: (JSON.parse(fields.metadata!) as { table_name: string }).table_name,
      record: JSON.parse(fields.record!) as Record<string, unknown>,
    }));
    const of = (table: string, action: string) => entries.filter((e) => e.table === table && e.action === action);
    const [liveGenerated] = of('bf_generated', 'insert');
    const [liveListed] = of('bf_listed', 'insert');
    expect(liveGenerated!.record).toEqual({ id: 100, a: 7 });
    expect(liveListed!.record).toEqual({ id: 100, shown: 'live', n: 4 });

    const generatedReads = of('bf_generated', 'read');
    expect(generatedReads.map((e) => e.record.id)).toEqual([1, 2, 3, 4, 5, 100]);
    for (const read of generatedReads) expect(Object.keys(read.record)).toEqual(Object.keys(liveGenerated!.record));
    expect(generatedReads.at(-1)!.record).toEqual(liveGenerated!.record);

    const listedReads = of('bf_listed', 'read');
    const passing = Array.from({ length: 30 }, (_, i) => i + 1).filter((id) => id % 3 > 0);
    expect(listedReads.map((e) => e.record.id)).toEqual([...passing, 100]);
    for (const read of listedReads) expect(Object.keys(read.record)).toEqual(Object.keys(liveListed!.record));
    expect(listedReads.at(-1)!.record).toEqual(liveListed!.record);
  });
});
