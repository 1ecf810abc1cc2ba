import { Redis } from 'ioredis';
import { testRedisUrl, waitFor } from '#testing/databases.js';
import { type EngineStack, startEngineStack } from '#testing/engine.js';
import { createBackfill, startMutator, waitForBackfill } from './backfill-support.js';

const TABLE = 'bf_consistency';
const ROWS = 100_000;
/** Redis databases of the test server that only this file uses, one per run. */
const RUN_DBS = [13, 14, 15];
const KEY_PREFIX = `sequin:public.${TABLE}:`;

type Row = { id: number; v: number; payload: string | null };

/**
 * The watermark method under fire: a backfill reads the table page by page while another connection
 * updates, deletes and inserts random rows as fast as it can. A stale read delivered after a newer
 * change would leave an old value (or a deleted row) in the cache for good.
 */
describe('backfill: consistent with live changes', () => {
  let stack: EngineStack;
  const clients: Redis[] = [];

  beforeAll(async () => {
    stack = await startEngineStack([
      `CREATE TABLE ${TABLE} (id int PRIMARY KEY, v int NOT NULL, payload text DEFAULT md5(random()::text))`,
      `INSERT INTO ${TABLE} (id, v) SELECT g, 0 FROM generate_series(1, ${ROWS}) g`,
    ]);
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await stack?.close();
  });

  async function tableRows(): Promise<Map<string, Row>> {
    const { rows } = await stack.source.client.query<Row>(`SELECT id, v, payload FROM ${TABLE}`);
    return new Map(rows.map((row) => [`${KEY_PREFIX}${row.id}`, row]));
  }

  async function cachedRows(redis: Redis): Promise<Map<string, Row>> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${KEY_PREFIX}*`, 'COUNT', 5000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    const cache = new Map<string, Row>();
    for (let i = 0; i < keys.length; i += 5000) {
      const slice = keys.slice(i, i + 5000);
      const values = await redis.mget(slice);
      slice.forEach((key, j) => cache.set(key, JSON.parse(values[j]!) as Row));
    }
    return cache;
  }

  /** Up to a few keys that differ, with both sides; empty when the cache equals the table. */
  function differences(table: Map<string, Row>, cache: Map<string, Row>): string[] {
    const found: string[] = [];
    for (const key of new Set([...table.keys(), ...cache.keys()])) {
      const [want, got] = [JSON.stringify(table.get(key) ?? null), JSON.stringify(cache.get(key) ?? null)];
      if (want !== got) found.push(`${key}: table ${want}, cache ${got}`);
      if (found.length >= 5) break;
    }
    return found;
  }

  it.each(RUN_DBS.map((db, run) => [run + 1, db]))(
    'run %i: the cache ends equal to the table, every key and value',
    async (run, db) => {
      const redis = new Redis(testRedisUrl(db));
      clients.push(redis);
      await redis.flushdb();
      const sink = await stack.createSink({
        name: `bf-consistency-${run}`,
        source: { include_tables: [TABLE] },
        batch_size: 500,
        destination: {
          type: 'redis_string',
          host: '127.0.0.1',
          port: stack.sinkRedisPort,
          database: db,
          key_format: 'qualified',
          value: 'record',
        },
      });
      const mutator = startMutator(stack.source.url, TABLE, ROWS);
      const started = await createBackfill(stack, sink.name);
      const completed = await waitForBackfill(stack, sink.name, started.id, (b) => b.state === 'completed', 120_000);
      const mutations = await mutator.stop();

      expect(mutations).toBeGreaterThan(200); // the table really moved under the backfill
      expect(completed.rows_processed_count).toBeGreaterThan(ROWS * 0.7);
      expect(completed.rows_ingested_count).toBeLessThanOrEqual(completed.rows_processed_count);
      let last: string[] = [];
      await waitFor(
        async () => {
          last = differences(await tableRows(), await cachedRows(redis));
          return last.length === 0;
        },
        { timeoutMs: 30_000, intervalMs: 500, message: () => `cache differs from the table:\n${last.join('\n')}` },
      );
    },
  );
});
