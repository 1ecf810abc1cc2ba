import { randomSuffix, waitFor } from '#testing/databases.js';
import {
  type EngineStack,
  expectStreamMatches,
  readStream,
  startEngineStack,
  startWorkload,
  type StreamAnalysis,
  waitForStreamChanges,
  workloadTableSql,
} from '#testing/engine.js';
import { type SpawnedProcess, spawnWorker } from '#testing/processes.js';

const TERMINATED = 'lsn_terminated_items';
const KILLED = 'lsn_killed_items';
const FOREIGN = 'lsn_foreign_items';

/**
 * `stream_id_mode: "lsn"`: an entry's id is `<commit_lsn>-<commit_idx>`, so what the slot replays after
 * an interruption is refused by Redis instead of appended twice. Each case runs an `auto` sink on the
 * same table next to it: its duplicates prove that the slot did replay changes to both. Workers are
 * spawned processes, so one can be killed with SIGKILL (no last status report to Postgres).
 */
describe('engine: redis_stream stream_id_mode "lsn"', () => {
  let stack: EngineStack;
  const spawned: SpawnedProcess[] = [];

  beforeAll(async () => {
    stack = await startEngineStack(
      [...workloadTableSql(TERMINATED), ...workloadTableSql(KILLED), `CREATE TABLE ${FOREIGN} (id int PRIMARY KEY)`],
      { inProcessWorker: false },
    );
  });
  afterAll(async () => {
    await Promise.all(spawned.map((worker) => worker.stop()));
    await stack?.close();
  });

  const spawn = (): SpawnedProcess => {
    const worker = spawnWorker(stack.api.config);
    spawned.push(worker);
    return worker;
  };

  /** An `lsn` sink and an `auto` control sink on `table`; returns their stream keys. */
  async function sinkPair(table: string): Promise<{ lsn: string; auto: string }> {
    const keys = { lsn: `lsn-${table}-${randomSuffix()}`, auto: `auto-${table}-${randomSuffix()}` };
    for (const mode of ['lsn', 'auto'] as const) {
      await stack.createSink({
        name: `${table}-${mode}`,
        source: { include_tables: [table] },
        destination: {
          type: 'redis_stream',
          host: '127.0.0.1',
          port: stack.sinkRedisPort,
          stream_key: keys[mode],
          stream_id_mode: mode,
        },
      });
    }
    return keys;
  }

  const readerPid = (outputs: () => string): Promise<number> =>
    waitFor(() => stack.slotActivePid().then((pid) => pid ?? undefined), {
      timeoutMs: 40_000,
      message: `a reader on the slot\n${outputs()}`,
    });

  /** Until the stream has grown by `entries` since `from`, or the workload is done writing. */
  async function progress(streamKey: string, from: number, entries: number, writing: () => boolean): Promise<void> {
    await waitFor(async () => (await stack.sinkRedis.xlen(streamKey)) >= from + entries || !writing(), {
      timeoutMs: 20_000,
      message: `${streamKey} to grow past ${from + entries} entries`,
    });
  }

  async function expectIdsFromPositions(streamKey: string): Promise<void> {
    const entries = await readStream(stack.sinkRedis, streamKey);
    const mismatched = entries.filter(({ id, fields }) => {
      const { commit_lsn, commit_idx } = JSON.parse(fields.metadata!) as { commit_lsn: number; commit_idx: number };
      return id !== `${commit_lsn}-${commit_idx}`;
    });
    expect(mismatched).toEqual([]);
  }

  /**
   * Until the stream holds a change the slot is not confirmed past: interrupted now, the slot replays
   * it (the reader reports its flush LSN every second, so this is true most of the time).
   */
  async function streamAheadOfSlot(streamKey: string): Promise<void> {
    await waitFor(
      async () => {
        const [top] = await stack.sinkRedis.xrevrange(streamKey, '+', '-', 'COUNT', 1);
        if (!top) return false;
        const fields = top[1];
        const metadata = JSON.parse(fields[fields.indexOf('metadata') + 1]!) as { commit_lsn: number };
        return BigInt(metadata.commit_lsn) >= (await stack.confirmedFlushLsn());
      },
      { timeoutMs: 10_000, intervalMs: 20, message: `${streamKey} ahead of the slot's confirmed flush LSN` },
    );
  }

  function expectReplayed(control: StreamAnalysis): void {
    expect(control.duplicates).toBeGreaterThan(0);
  }

  it('the walsender terminated twice while writes go on: no duplicate, every change in commit order', async () => {
    const worker = spawn();
    const keys = await sinkPair(TERMINATED);
    await readerPid(worker.output);
    const transactions = 300;
    const workload = startWorkload(stack.source.url, TERMINATED, { transactions, pauseMs: 8 });
    const writing = (): boolean => workload.committed() < transactions;

    let length = 0;
    for (let i = 0; i < 2; i++) {
      await progress(keys.auto, length, 30, writing);
      if (i === 0) expect(writing()).toBe(true);
      const pid = await readerPid(worker.output);
      await streamAheadOfSlot(keys.auto);
      await stack.source.client.query(`SELECT pg_terminate_backend($1)`, [pid]);
      await waitFor(async () => ((await stack.slotActivePid()) ?? pid) !== pid, {
        timeoutMs: 15_000,
        message: `the reader to reconnect after termination ${i + 1}`,
      });
      length = await stack.sinkRedis.xlen(keys.auto);
    }

    await workload.done;
    const expected = await workload.expected();
    const [lsnStream, autoStream] = await Promise.all([
      waitForStreamChanges(stack.sinkRedis, keys.lsn, expected.length),
      waitForStreamChanges(stack.sinkRedis, keys.auto, expected.length),
    ]);
    expectReplayed(autoStream);
    expectStreamMatches(autoStream, expected, { maxReplays: 2 });
    expectStreamMatches(lsnStream, expected, { maxReplays: 0 });
    expect(lsnStream.entries).toBe(expected.length);
    await expectIdsFromPositions(keys.lsn);
    await worker.stop();
  });

  it('the worker killed with SIGKILL mid-burst and another started: no duplicate, every change in commit order', async () => {
    const first = spawn();
    const keys = await sinkPair(KILLED);
    const firstPid = await readerPid(first.output);
    const transactions = 300;
    const workload = startWorkload(stack.source.url, KILLED, { transactions, pauseMs: 8 });
    await progress(keys.auto, 0, 40, () => true);
    await streamAheadOfSlot(keys.auto);
    await first.kill9();
    expect(workload.committed()).toBeLessThan(transactions); // the burst goes on through the kill

    const second = spawn();
    await waitFor(async () => ((await stack.slotActivePid()) ?? firstPid) !== firstPid, {
      timeoutMs: stack.api.config.leaseMs + 40_000,
      message: `the new worker to take the slot over\n${second.output()}`,
    });

    await workload.done;
    const expected = await workload.expected();
    const [lsnStream, autoStream] = await Promise.all([
      waitForStreamChanges(stack.sinkRedis, keys.lsn, expected.length),
      waitForStreamChanges(stack.sinkRedis, keys.auto, expected.length),
    ]);
    expectReplayed(autoStream);
    expectStreamMatches(autoStream, expected, { maxReplays: 1 });
    expectStreamMatches(lsnStream, expected, { maxReplays: 0 });
    expect(lsnStream.entries).toBe(expected.length);
    await expectIdsFromPositions(keys.lsn);
  });

  it('a stream whose top entry another writer added (a `*` id) fails visibly instead of counting entries as delivered', async () => {
    const worker = spawn();
    const streamKey = `lsn-foreign-${randomSuffix()}`;
    // A millisecond id: far above this test server's LSNs, so every lsn id is refused as not above it.
    const foreign = await stack.sinkRedis.xadd(streamKey, '*', 'from', 'elsewhere');
    const sink = await stack.createSink({
      name: 'foreign-lsn',
      source: { include_tables: [FOREIGN] },
      destination: {
        type: 'redis_stream',
        host: '127.0.0.1',
        port: stack.sinkRedisPort,
        stream_key: streamKey,
        stream_id_mode: 'lsn',
      },
    });
    for (let id = 1; id <= 3; id++) await stack.source.client.query(`INSERT INTO ${FOREIGN} VALUES ($1)`, [id]);

    const failing = await waitFor(
      async () => {
        const { data } = await stack.api.client.GET('/api/sinks/{id_or_name}/messages', {
          params: { path: { id_or_name: sink.id }, query: { state: 'failing' } },
        });
        return data!.data.length > 0 ? data!.data : undefined;
      },
      { timeoutMs: 30_000, message: `failing messages of the sink\n${worker.output()}` },
    );
    expect(failing[0]!.last_error).toMatch(/refused: .* not written by this sink/);
    expect((await readStream(stack.sinkRedis, streamKey)).map((entry) => entry.id)).toEqual([foreign]);

    // The stream removed: the entries go in, none lost, in commit order.
    await stack.sinkRedis.del(streamKey);
    const stream = await waitForStreamChanges(stack.sinkRedis, streamKey, 3);
    expect(stream.changes.map((change) => change.id)).toEqual([1, 2, 3]);
    expect(stream.duplicates).toBe(0);
    await expectIdsFromPositions(streamKey);
  });
});
