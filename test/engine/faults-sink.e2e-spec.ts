import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
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

const OUTAGE = 'outage_items';
const BOUNDED = 'bounded_items';

/** The ms part of a Redis Stream entry id: when the sink Redis appended it (its clock, this machine's). */
const appendedAt = (streamId: string): number => Number(streamId.split('-')[0]);

/**
 * The user's Redis failing under the reader: stopped during a burst (a private server, restarted on
 * the same port: the shared test Redis carries BullMQ and is never stopped), and a sink that cannot
 * deliver at all next to one that can.
 */
describe('faults: the sink Redis down', () => {
  let stack: EngineStack;
  let dir: string;
  const servers: RedisServer[] = [];
  const clients: Redis[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-faults-sink-'));
    stack = await startEngineStack([...workloadTableSql(OUTAGE), ...workloadTableSql(BOUNDED)]);
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await Promise.all(servers.map((server) => server.stop()));
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function startSinkRedis(name: string, options: { port?: number; persistent?: boolean } = {}) {
    const server = await startRedisServer({ dir: join(dir, name), ...options });
    servers.push(server);
    return server;
  }

  function clientOf(server: RedisServer): Redis {
    const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  }

  async function createStreamSink(table: string, port: number, extra: { max_ack_pending?: number } = {}) {
    const streamKey = `faults-${table}-${randomSuffix()}`;
    const sink = await stack.createSink({
      name: `${table}-${port}`,
      source: { include_tables: [table] },
      destination: { type: 'redis_stream', host: '127.0.0.1', port, stream_key: streamKey },
      ...extra,
    });
    return { sink, streamKey };
  }

  it('stopped for seconds mid-burst: everything arrives in order, and meanwhile the slot never passes an undelivered change', async () => {
    // Persistent, so that what was delivered before the stop is still there after the restart.
    let server = await startSinkRedis('outage', { persistent: true });
    const { port } = server;
    const { streamKey } = await createStreamSink(OUTAGE, port);
    const transactions = 300;
    const workload = startWorkload(stack.source.url, OUTAGE, { transactions, pauseMs: 10 });

    const before = clientOf(server);
    await waitFor(async () => (await before.xlen(streamKey)) >= 30, { message: 'the first deliveries' });
    before.disconnect();
    await server.stop();
    const committedAtStop = workload.committed();
    expect(committedAtStop).toBeLessThan(transactions);

    const flushDuringOutage: bigint[] = [];
    const outageEnds = Date.now() + 3_000;
    while (Date.now() < outageEnds) {
      flushDuringOutage.push(await stack.confirmedFlushLsn());
      await delay(200);
    }
    const restartedAt = Date.now();
    server = await startSinkRedis('outage', { port, persistent: true });
    expect(workload.committed()).toBeGreaterThan(committedAtStop); // changes were written during the outage

    await workload.done;
    const expected = await workload.expected();
    const analysis = await waitForStreamChanges(clientOf(server), streamKey, expected.length, 40_000);
    // A batch Redis applied while its answer was lost in the shutdown is retried: one replay at most.
    expectStreamMatches(analysis, expected, { maxReplays: 1 });

    // The first change appended after the restart was undelivered during the whole outage.
    const firstUndelivered = analysis.changes.find((change) => appendedAt(change.streamId) >= restartedAt);
    expect(firstUndelivered).toBeDefined();
    for (const flush of flushDuringOutage) expect(flush).toBeLessThanOrEqual(firstUndelivered!.commitLsn);

    await stack.waitForSlotPast(analysis.changes.at(-1)!.commitLsn);
  });

  it('a sink that cannot deliver stops the reader at its max_ack_pending, not before; both catch up once it can', async () => {
    const maxAckPending = 50;
    // A port nothing listens on until the server is started again below.
    const stopped = await startSinkRedis('bounded');
    const { port } = stopped;
    await stopped.stop();
    const healthy = await createStreamSink(BOUNDED, stack.sinkRedisPort);
    const failing = await createStreamSink(BOUNDED, port, { max_ack_pending: maxAckPending });

    const workload = startWorkload(stack.source.url, BOUNDED, { transactions: 120 });
    await waitFor(async () => (await stack.sinkRedis.xlen(healthy.streamKey)) >= maxAckPending, {
      message: 'the healthy sink to receive changes up to the failing sink bound',
    });
    await workload.done;
    const expected = await workload.expected();
    expect(expected.length).toBeGreaterThan(2 * maxAckPending);

    // The reader is paused: the healthy sink gets nothing more and the slot stays where it is (after the
    // reader's last status report, at most a second old, of what was settled before the burst).
    const [firstChange] = (await waitForStreamChanges(stack.sinkRedis, healthy.streamKey, 1)).changes;
    await delay(1_100);
    const flushAtBound = await stack.confirmedFlushLsn();
    await delay(1_500);
    expect(await stack.sinkRedis.xlen(healthy.streamKey)).toBe(maxAckPending);
    expect(await stack.confirmedFlushLsn()).toBe(flushAtBound);
    expect(flushAtBound).toBeLessThanOrEqual(firstChange!.commitLsn); // nothing reached the failing sink

    const restarted = await startSinkRedis('bounded', { port });
    const [healthyStream, failingStream] = await Promise.all([
      waitForStreamChanges(stack.sinkRedis, healthy.streamKey, expected.length),
      waitForStreamChanges(clientOf(restarted), failing.streamKey, expected.length),
    ]);
    // Nothing was ever applied by the stopped Redis, so no replay anywhere.
    expectStreamMatches(healthyStream, expected, { maxReplays: 0 });
    expectStreamMatches(failingStream, expected, { maxReplays: 0 });
  });
});
