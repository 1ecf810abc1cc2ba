import { randomSuffix, waitFor } from '#testing/databases.js';
import {
  type EngineStack,
  expectStreamMatches,
  startEngineStack,
  startWorkload,
  waitForStreamChanges,
  workloadTableSql,
} from '#testing/engine.js';
import { replicationWorkerCount, type SpawnedProcess, spawnWorker } from '#testing/processes.js';

const TABLE = 'killed_items';

/**
 * The reader's lease is its BullMQ job lock: a worker killed with SIGKILL renews it no more, another
 * worker's stalled-job check hands the job over, and the slot is read again from its confirmed flush
 * LSN. Only spawned workers run here (no worker in the test process), so that one can be killed.
 */
describe('faults: a worker killed with SIGKILL mid-batch', () => {
  let stack: EngineStack;
  const spawned: SpawnedProcess[] = [];

  beforeAll(async () => {
    stack = await startEngineStack(workloadTableSql(TABLE), { inProcessWorker: false });
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

  it('another worker takes the slot over within about the lease; every change arrives, in commit order', async () => {
    const { leaseMs } = stack.api.config;
    const streamKey = `faults-kill-${randomSuffix()}`;
    await stack.createSink({
      name: 'killed-stream',
      source: { include_tables: [TABLE] },
      destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
    });

    // Both start at once; whichever takes the job first is "A", the one to kill.
    const workers = [spawn(), spawn()];
    const outputs = (): string => workers.map((w, i) => `--- worker ${i}:\n${w.output()}`).join('\n');
    await waitFor(async () => (await replicationWorkerCount(stack.api.config)) >= 2, {
      timeoutMs: 40_000,
      message: `both workers to listen on the replication queue\n${outputs()}`,
    });
    const [readerA, port] = await waitFor(
      async () => {
        const [pid, port] = [await stack.slotActivePid(), await stack.slotReaderPort()];
        return pid !== null && port !== null ? ([pid, port] as const) : undefined;
      },
      { timeoutMs: 20_000, message: `a worker to read the slot\n${outputs()}` },
    );
    const a = workers.find((w) => w.hasLocalPort(port));
    if (!a) throw new Error(`no spawned worker holds the replication connection from port ${port}`);
    const b = workers.find((w) => w !== a)!;
    const workload = startWorkload(stack.source.url, TABLE, { transactions: 250, pauseMs: 4 });
    await waitFor(async () => (await stack.sinkRedis.xlen(streamKey)) >= 40, {
      timeoutMs: 15_000,
      message: 'worker A to deliver the first changes',
    });
    expect(workload.committed()).toBeLessThan(250); // the burst goes on through the kill
    const killedAt = Date.now();
    await a.kill9();

    const readerB = await waitFor(
      async () => {
        const pid = await stack.slotActivePid();
        return pid !== null && pid !== readerA ? pid : undefined;
      },
      // The lock expires within the lease; B's stalled check runs every lease; then a reconnect or two.
      { timeoutMs: leaseMs + 15_000, message: `worker B to take the slot over; its output:\n${b.output()}` },
    );
    const takeoverMs = Date.now() - killedAt;
    expect(readerB).not.toBe(readerA);
    expect(takeoverMs).toBeLessThan(leaseMs + 5_000);

    await workload.done;
    const expected = await workload.expected();
    const analysis = await waitForStreamChanges(stack.sinkRedis, streamKey, expected.length, 30_000);
    // At most one replay: what A had delivered but not yet acknowledged when it died.
    expectStreamMatches(analysis, expected, { maxReplays: 1 });

    await stack.waitForSlotPast(analysis.changes.at(-1)!.commitLsn);
    expect(b.child.exitCode).toBeNull();
  });
});
