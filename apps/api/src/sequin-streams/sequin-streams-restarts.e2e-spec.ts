import { randomSuffix, waitFor } from '#testing/databases.js';
import { type EngineStack, startEngineStack, startWorkload, workloadTableSql } from '#testing/engine.js';
import { StreamClient } from '#testing/stream-client.js';
import { consume, expectedHistories, StreamLedger } from '#testing/stream-consumers.js';
import { startApiInstance } from '#testing/test-api.js';

/**
 * Restarts while changes are written and consumed: every committed change is acked exactly once,
 * in its group's order, and an acked message never comes back.
 */
describe('Sequin Stream across restarts', () => {
  let stack: EngineStack;

  beforeAll(async () => {
    stack = await startEngineStack([...workloadTableSql('during_worker'), ...workloadTableSql('during_api')]);
  });
  afterAll(() => stack.close());

  async function streamSink(table: string, settings: Record<string, unknown> = {}) {
    const sink = await stack.createSink({
      name: `restart-${randomSuffix()}`,
      destination: { type: 'sequin_stream' },
      source: { include_tables: [table] },
      ...settings,
    });
    return { sink, client: new StreamClient(stack.api.baseUrl, stack.api.bootstrapToken, sink.name) };
  }

  /** Consumes with `clients` while a workload writes `table`; `restart` runs once a third is written. */
  async function consumeThrough(table: string, clients: StreamClient[], restart: () => Promise<void>) {
    const transactions = 300;
    const workload = startWorkload(stack.source.url, table, { transactions, pauseMs: 2 });
    const ledger = new StreamLedger();
    let total = Infinity;
    const consuming = consume(clients, ledger, {
      batchSize: 20,
      waitForMs: 1000,
      done: () => ledger.acked >= total,
      timeoutMs: 45_000,
    });
    try {
      await waitFor(async () => workload.committed() >= transactions / 3, { timeoutMs: 30_000 });
      await restart();
    } catch (error) {
      total = 0; // stops the consumers
      throw error;
    }
    const expected = await workload.expected();
    total = expected.length;
    await consuming;
    expect({ overlaps: ledger.overlaps, resurrections: ledger.resurrections, twice: ledger.ackedTwice() }).toEqual({
      overlaps: [],
      resurrections: [],
      twice: [],
    });
    expect(ledger.sortedHistories()).toEqual(expectedHistories(expected));
  }

  async function expectDrained(sinkId: string): Promise<void> {
    expect(await stack.metadataQuery(`SELECT seq FROM stream_messages WHERE sink_id = $1`, [sinkId])).toEqual([]);
  }

  it('loses nothing and brings back nothing acked when the worker restarts', async () => {
    const { sink, client } = await streamSink('during_worker');
    const clients = Array.from({ length: 4 }, () => client.via(stack.api.baseUrl));
    await consumeThrough('during_worker', clients, () => stack.restartWorker());
    await expectDrained(sink.id);
  });

  it('loses nothing and brings back nothing acked when an API process restarts', async () => {
    const { sink, client } = await streamSink('during_api', { ack_wait_ms: 2000 });
    let api = await startApiInstance(stack.api.config);
    const clients = Array.from({ length: 4 }, () => client.via(api.baseUrl));
    try {
      await consumeThrough('during_api', clients, async () => {
        // Returns once its connections are closed: busy consumers must not hold it open.
        await withDeadline(api.close(), 10_000, 'the API process to close');
        api = await startApiInstance(stack.api.config);
        for (const c of clients) c.baseUrl = api.baseUrl;
      });
    } finally {
      await withDeadline(api.close(), 10_000, 'the API process to close');
    }
    await expectDrained(sink.id);
  });
});

function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
