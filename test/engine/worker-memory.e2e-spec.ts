import { randomSuffix, waitFor } from '#testing/databases.js';
import { type EngineStack, startEngineStack } from '#testing/engine.js';
import { HEAP_PROBE_ARGS, type HeapReading, readHeap } from '#testing/heap-probe.js';
import { type SpawnedProcess, spawnWorker } from '#testing/processes.js';

const TABLE = 'heap_items';
/** Each round inserts this many rows, updates the previous round's and deletes the round's before. */
const ROWS_PER_ROUND = 5_000;
/** The inserts, the updates and the deletes of a round each go in this many transactions. */
const TRANSACTIONS_PER_KIND = 5;
const ROUNDS = 7;
/**
 * Rounds before the baseline reading, the first with deletes included (round 2): pools, caches and
 * compiled code settle.
 */
const WARM_UP_ROUNDS = 3;
/**
 * Growth allowed after the baseline, of the live heap and of the Buffers outside it, over 60,000
 * changes (120,000 messages to the three sinks, of which 20,000 inserts of new keys): a leak of 40
 * bytes per change, or per message and sink, exceeds it.
 */
const ALLOWED_GROWTH_BYTES = 2 * 1024 * 1024;

/**
 * DESIGN.md's bounded-memory invariant, "worker memory stays flat under sustained load", in the
 * suite (the bench's memory case measures RSS over minutes): a spawned worker takes rounds of
 * inserts of new primary keys, updates of the round before's and deletes of the one before that,
 * to a Redis Stream, a Redis String and a Sequin Stream sink; after each round is delivered and the
 * slot confirmed past it, the worker collects its garbage fully and reports its live heap and its
 * Buffers. What the data path keeps per change, per group or per batch beyond its bounds shows as
 * growth round after round.
 */
describe('worker memory under sustained load', () => {
  let stack: EngineStack;
  let worker: SpawnedProcess | undefined;
  const streamKey = `heap-${randomSuffix()}`;

  beforeAll(async () => {
    stack = await startEngineStack([`CREATE TABLE ${TABLE} (id int PRIMARY KEY, v int NOT NULL, note text NOT NULL)`], {
      inProcessWorker: false,
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await stack?.sinkRedis.del(streamKey);
    await stack?.close();
  });

  /** Rows of round r: ids r·ROWS_PER_ROUND + 1 … (r + 1)·ROWS_PER_ROUND; the marker row 0 ends every round. */
  const runRound = async (round: number): Promise<void> => {
    const step = ROWS_PER_ROUND / TRANSACTIONS_PER_KIND;
    const ranges = (r: number): Array<[number, number]> =>
      Array.from({ length: TRANSACTIONS_PER_KIND }, (_, t) => [
        r * ROWS_PER_ROUND + t * step + 1,
        r * ROWS_PER_ROUND + (t + 1) * step,
      ]);
    for (const [from, to] of ranges(round)) {
      await stack.source.client.query(
        `INSERT INTO ${TABLE} (id, v, note) SELECT g, 0, repeat(md5(g::text), 4) FROM generate_series($1::int, $2::int) g`,
        [from, to],
      );
    }
    if (round >= 1) {
      for (const [from, to] of ranges(round - 1)) {
        await stack.source.client.query(`UPDATE ${TABLE} SET v = v + 1 WHERE id BETWEEN $1 AND $2`, [from, to]);
      }
    }
    if (round >= 2) {
      for (const [from, to] of ranges(round - 2)) {
        await stack.source.client.query(`DELETE FROM ${TABLE} WHERE id BETWEEN $1 AND $2`, [from, to]);
      }
    }
    await stack.source.client.query(
      `INSERT INTO ${TABLE} (id, v, note) VALUES (0, $1, 'marker') ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v`,
      [round],
    );
  };

  /** Changes rounds 0 … round wrote, the markers included. */
  const changesUpTo = (round: number): number => {
    let changes = 0;
    for (let r = 0; r <= round; r++) changes += ROWS_PER_ROUND * (1 + Math.min(r, 2)) + 1;
    return changes;
  };

  /** Waits until every sink has the round's changes and the slot is confirmed past its marker. */
  const waitForRound = async (round: number): Promise<void> => {
    const markerLsn = await waitFor(
      async () => {
        const [newest] = await stack.sinkRedis.xrevrange(streamKey, '+', '-', 'COUNT', 1);
        const fields = newest?.[1] ?? [];
        const record = JSON.parse(fields[fields.indexOf('record') + 1] ?? 'null') as { id: number; v: number } | null;
        if (record?.id !== 0 || record.v !== round) return undefined;
        const metadata = JSON.parse(fields[fields.indexOf('metadata') + 1]!) as { commit_lsn: number };
        return BigInt(metadata.commit_lsn);
      },
      { timeoutMs: 60_000, message: () => `round ${round}'s marker in the stream\n${worker?.output().slice(-4000)}` },
    );
    await stack.waitForSlotPast(markerLsn, 30_000);
    const [{ stored }] = await stack.metadataQuery<{ stored: number }>(
      `SELECT count(*)::int AS stored FROM stream_messages`,
    );
    expect(stored).toBe(changesUpTo(round));
  };

  it('keeps its live heap and its Buffers flat round after round', async () => {
    const sinks = [
      {
        name: 'heap-stream',
        destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
      },
      {
        name: 'heap-string',
        // Keys expire on their own: the sink Redis is the suite's, and two rounds of rows stay live.
        destination: { type: 'redis_string', host: '127.0.0.1', port: stack.sinkRedisPort, expire_ms: 120_000 },
      },
      { name: 'heap-sequin', destination: { type: 'sequin_stream' } },
    ] as const;
    for (const sink of sinks) await stack.createSink({ ...sink, source: { include_tables: [TABLE] } });
    worker = spawnWorker(stack.api.config, { nodeArgs: HEAP_PROBE_ARGS });

    const readings: HeapReading[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await runRound(round);
      await waitForRound(round);
      readings.push(await readHeap(worker));
    }

    const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(2);
    const report = readings
      .map((r, i) => `round ${i}: heap ${mb(r.used)} MB, buffers ${mb(r.arrayBuffers)} MB, rss ${mb(r.rss)} MB`)
      .join('\n');
    const growth = (of: (reading: HeapReading) => number): number =>
      Math.max(...readings.slice(WARM_UP_ROUNDS).map(of)) - of(readings[WARM_UP_ROUNDS - 1]!);
    console.log(report);
    expect({ heap: growth((r) => r.used) <= ALLOWED_GROWTH_BYTES, report }).toEqual({ heap: true, report });
    expect({ buffers: growth((r) => r.arrayBuffers) <= ALLOWED_GROWTH_BYTES, report }).toEqual({
      buffers: true,
      report,
    });
  });
});
