import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startRedisServer, type RedisServer } from '#core/embedded/redis-server.js';
import { randomSuffix, waitFor } from '#testing/databases.js';
import {
  type EngineStack,
  expectStreamMatches,
  startEngineStack,
  startWorkload,
  waitForStreamChanges,
  workloadTableSql,
} from '#testing/engine.js';

const TABLE = 'internal_outage_items';

/**
 * Sluice's own Redis (BullMQ, the reader's lease, wake-ups) stopped during a burst: a private,
 * persistent server restarted on the same port, as an operator's Redis restarts. The reader's lease
 * lapses meanwhile, and the worker is restarted right after; whichever reader holds the slot then,
 * nothing is lost and the stream keeps commit order.
 */
describe('faults: the internal Redis down', () => {
  let stack: EngineStack;
  let dir: string;
  let internal: RedisServer;
  const consoleError = console.error;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-faults-internal-'));
    internal = await startRedisServer({ dir, persistent: true });
    stack = await startEngineStack(workloadTableSql(TABLE), { internalRedisUrl: internal.url });
  });
  afterAll(async () => {
    console.error = consoleError;
    await stack?.close();
    await internal?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('stopped for seconds mid-burst: every change arrives in commit order, a restart right after it completes, stderr stays quiet', async () => {
    // BullMQ queues and workers, and ioredis clients, print each connection error with its stack
    // to stderr when nothing listens for it: outside the JSON log, dozens of them per outage.
    const printed: string[] = [];
    console.error = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
    const streamKey = `faults-internal-${randomSuffix()}`;
    await stack.createSink({
      name: 'internal-outage',
      source: { include_tables: [TABLE] },
      destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
    });
    const transactions = 1500;
    const workload = startWorkload(stack.source.url, TABLE, { transactions, pauseMs: 8 });
    await waitFor(async () => (await stack.sinkRedis.xlen(streamKey)) >= 40, { message: 'the first deliveries' });

    const { port } = internal;
    await internal.stop();
    const committedAtStop = workload.committed();
    // The lease (5 s here) lapses during the outage.
    await delay(stack.api.config.leaseMs + 1_000);
    internal = await startRedisServer({ dir, port, persistent: true });
    expect(workload.committed()).toBeGreaterThan(committedAtStop); // the burst went on during the outage

    // A graceful restart while BullMQ's connections are still between reconnect attempts: its close
    // used to wait for them for good. The new worker takes the slot over and reads on.
    const restartStarted = Date.now();
    await stack.restartWorker();
    expect(Date.now() - restartStarted).toBeLessThan(15_000);
    expect(workload.committed()).toBeLessThan(transactions); // changes are still being written

    await workload.done;
    const expected = await workload.expected();
    const analysis = await waitForStreamChanges(stack.sinkRedis, streamKey, expected.length, 60_000);
    // A batch that went in while the reader was being replaced may come twice; nothing is missing or out of order.
    expectStreamMatches(analysis, expected, { maxReplays: 2 });
    await stack.waitForSlotPast(analysis.changes.at(-1)!.commitLsn, 20_000);
    console.error = consoleError;
    expect(printed).toEqual([]);
  });
});
