import { randomSuffix, waitFor } from '#testing/databases.js';
import {
  type EngineStack,
  expectStreamMatches,
  startEngineStack,
  startWorkload,
  waitForStreamChanges,
  workloadTableSql,
} from '#testing/engine.js';

const TERMINATED = 'terminated_items';
const RESTARTED = 'restarted_items';

/** The source connection dropped under the reader, and the whole worker restarted, mid-burst. */
describe('faults: replication connection lost, worker restarted', () => {
  let stack: EngineStack;

  beforeAll(async () => {
    stack = await startEngineStack([...workloadTableSql(TERMINATED), ...workloadTableSql(RESTARTED)]);
  });
  afterAll(() => stack?.close());

  async function streamSink(table: string): Promise<string> {
    const streamKey = `faults-${table}-${randomSuffix()}`;
    await stack.createSink({
      name: `${table}-stream`,
      source: { include_tables: [table] },
      destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
    });
    return streamKey;
  }

  const readerPid = (): Promise<number> =>
    waitFor(() => stack.slotActivePid().then((pid) => pid ?? undefined), {
      timeoutMs: 20_000,
      message: 'a reader on the slot',
    });

  /** Until the stream has grown by `entries` since `from`, or the workload is done writing. */
  async function progress(streamKey: string, from: number, entries: number, writing: () => boolean): Promise<void> {
    await waitFor(async () => (await stack.sinkRedis.xlen(streamKey)) >= from + entries || !writing(), {
      timeoutMs: 20_000,
      message: `${streamKey} to grow past ${from + entries} entries`,
    });
  }

  it('pg_terminate_backend on the walsender, three times: reconnects with growing backoff; nothing lost, order kept', async () => {
    const streamKey = await streamSink(TERMINATED);
    await readerPid();
    const transactions = 400;
    const workload = startWorkload(stack.source.url, TERMINATED, { transactions, pauseMs: 8 });
    const writing = (): boolean => workload.committed() < transactions;

    const reconnectMs: number[] = [];
    let length = 0;
    for (let i = 0; i < 3; i++) {
      await progress(streamKey, length, 15, writing);
      if (i === 0) expect(writing()).toBe(true);
      const pid = await readerPid();
      const terminatedAt = Date.now();
      const { rows } = await stack.source.client.query<{ ok: boolean }>(
        `SELECT pg_terminate_backend(active_pid) AS ok FROM pg_replication_slots WHERE slot_name = $1 AND active_pid = $2`,
        [stack.slotName, pid],
      );
      expect(rows[0]?.ok).toBe(true);
      await waitFor(
        async () => {
          const current = await stack.slotActivePid();
          return current !== null && current !== pid;
        },
        { timeoutMs: 15_000, message: `the reader to reconnect after termination ${i + 1}` },
      );
      reconnectMs.push(Date.now() - terminatedAt);
      length = await stack.sinkRedis.xlen(streamKey);
    }
    // SlotReader backs off 250 ms × 2^failures: 0.5 s, 1 s, 2 s.
    expect(reconnectMs[0]).toBeGreaterThanOrEqual(450);
    expect(reconnectMs[1]).toBeGreaterThanOrEqual(950);
    expect(reconnectMs[2]).toBeGreaterThanOrEqual(1_950);

    await workload.done;
    const expected = await workload.expected();
    const analysis = await waitForStreamChanges(stack.sinkRedis, streamKey, expected.length);
    expectStreamMatches(analysis, expected, { maxReplays: 3 });
    await stack.waitForSlotPast(analysis.changes.at(-1)!.commitLsn);
  });

  it('the worker restarted twice mid-burst: every change arrives, in commit order', async () => {
    const streamKey = await streamSink(RESTARTED);
    await readerPid();
    const transactions = 300;
    const workload = startWorkload(stack.source.url, RESTARTED, { transactions, pauseMs: 8 });
    const writing = (): boolean => workload.committed() < transactions;

    let length = 0;
    for (let i = 0; i < 2; i++) {
      await progress(streamKey, length, 30, writing);
      if (i === 0) expect(writing()).toBe(true);
      await stack.restartWorker();
      length = await stack.sinkRedis.xlen(streamKey);
    }

    await workload.done;
    const expected = await workload.expected();
    const analysis = await waitForStreamChanges(stack.sinkRedis, streamKey, expected.length);
    expectStreamMatches(analysis, expected, { maxReplays: 2 });
    await stack.waitForSlotPast(analysis.changes.at(-1)!.commitLsn);
  });
});
