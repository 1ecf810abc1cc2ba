import { spawnApi, type ApiProcess } from '#testing/api-process.js';
import { randomSuffix, waitFor } from '#testing/databases.js';
import { type EngineStack, startEngineStack } from '#testing/engine.js';
import { OUTSTANDING_COUNT_SQL, StreamClient, waitForWaitingReceivers } from '#testing/stream-client.js';
import { consume, StreamLedger } from '#testing/stream-consumers.js';
import { type ApiInstance, startApiInstance } from '#testing/test-api.js';

const TABLES = ['crowd', 'shared', 'crowded', 'crashed'] as const;
type Table = (typeof TABLES)[number];

/**
 * Many receivers, in one API process and in several: no message outstanding twice, no group with
 * two messages outstanding, every message acked once in its group's order, max_waiting counted
 * across processes, and the waiting places of a killed API process freed within seconds.
 */
describe('Sequin Stream under concurrency, over several API processes', () => {
  let stack: EngineStack;
  let second: ApiInstance;
  let spawned: ApiProcess;

  beforeAll(async () => {
    stack = await startEngineStack(TABLES.map((t) => `CREATE TABLE ${t} (id int PRIMARY KEY, v int NOT NULL)`));
    second = await startApiInstance(stack.api.config);
    // Starts meanwhile (its TypeScript is compiled on the fly); only the last test needs it.
    spawned = await spawnApi(stack.api.config);
  });
  afterAll(async () => {
    await spawned?.kill9();
    await second?.close();
    await stack?.close();
  });

  async function streamSink(table: Table, settings: Record<string, unknown> = {}) {
    const sink = await stack.createSink({
      name: `crowd-${randomSuffix()}`,
      destination: { type: 'sequin_stream' },
      source: { include_tables: [table] },
      ...settings,
    });
    return { sink, client: new StreamClient(stack.api.baseUrl, stack.api.bootstrapToken, sink.name) };
  }

  /** `rows` rows, then `versions - 1` updates of each: `rows × versions` messages in `rows` groups. */
  async function write(table: Table, rows: number, versions: number): Promise<void> {
    await stack.source.client.query(`INSERT INTO ${table} SELECT g, 0 FROM generate_series(1, $1::int) g`, [rows]);
    for (let v = 1; v < versions; v++) await stack.source.client.query(`UPDATE ${table} SET v = $1`, [v]);
  }

  const histories = (rows: number, versions: number) =>
    Array.from({ length: rows }, (_, i) => [
      String(i + 1),
      Array.from({ length: versions }, (__, v) => `${v === 0 ? 'insert' : 'update'} ${v}`),
    ]);

  async function expectDrained(sinkId: string): Promise<void> {
    expect(await stack.metadataQuery(`SELECT seq FROM stream_messages WHERE sink_id = $1`, [sinkId])).toEqual([]);
    expect(await stack.metadataQuery(OUTSTANDING_COUNT_SQL, [sinkId])).toEqual([{ outstanding: 0 }]);
  }

  it('16 receivers, batch 50, 5,000 messages: one outstanding per group, each acked once in commit order', async () => {
    const { sink, client } = await streamSink('crowd');
    const [rows, versions] = [100, 50];
    await write('crowd', rows, versions);
    const ledger = new StreamLedger();
    const clients = Array.from({ length: 16 }, () => client.via(stack.api.baseUrl));
    await consume(clients, ledger, {
      batchSize: 50,
      waitForMs: 1000,
      done: () => ledger.acked >= rows * versions,
      timeoutMs: 60_000,
    });
    expect({ overlaps: ledger.overlaps, resurrections: ledger.resurrections, twice: ledger.ackedTwice() }).toEqual({
      overlaps: [],
      resurrections: [],
      twice: [],
    });
    expect(ledger.sortedHistories()).toEqual(histories(rows, versions));
    expect(await client.messages({ batch_size: 100 })).toEqual([]);
    await expectDrained(sink.id);
  });

  it('two API processes share one stream: no message outstanding twice, max_ack_pending held', async () => {
    const { sink, client } = await streamSink('shared', { max_ack_pending: 30 });
    const [rows, versions] = [60, 25];
    await write('shared', rows, versions);
    const ledger = new StreamLedger();
    const clients = Array.from({ length: 12 }, (_, i) => client.via(i % 2 ? second.baseUrl : stack.api.baseUrl));
    await consume(clients, ledger, {
      batchSize: 25,
      waitForMs: 1000,
      done: () => ledger.acked >= rows * versions,
      timeoutMs: 60_000,
    });
    expect({ overlaps: ledger.overlaps, resurrections: ledger.resurrections, twice: ledger.ackedTwice() }).toEqual({
      overlaps: [],
      resurrections: [],
      twice: [],
    });
    expect(ledger.sortedHistories()).toEqual(histories(rows, versions));
    expect(ledger.maxOutstanding).toBeLessThanOrEqual(30);
    await expectDrained(sink.id);
  });

  it('counts max_waiting across API processes', async () => {
    const { sink, client } = await streamSink('crowded', { max_waiting: 2 });
    const viaSecond = client.via(second.baseUrl);
    const stop = new AbortController();
    const polls = [client, viaSecond].map((c) =>
      c.receive({ wait_for: '30s' }, stop.signal).catch((error: Error) => error),
    );
    await waitForWaitingReceivers(stack.sinkRedis, stack.api.config.redisPrefix, sink.id, 2);
    expect((await client.receive({ wait_for: 1000 })).status).toBe(429);
    expect((await viaSecond.receive({ wait_for: 1000 })).status).toBe(429);
    stop.abort();
    await Promise.all(polls);
    await waitForWaitingReceivers(stack.sinkRedis, stack.api.config.redisPrefix, sink.id, 0);
  });

  it('frees the waiting places of a killed API process within seconds; its unacked messages come back', async () => {
    const { sink, client } = await streamSink('crashed', { max_waiting: 1, ack_wait_ms: 1000 });
    await stack.source.client.query(`INSERT INTO crashed VALUES (1, 0)`);
    await spawned.ready;
    const viaSpawned = client.via(spawned.baseUrl);
    const [claimed] = await viaSpawned.receiveCount(1);
    void viaSpawned.receive({ wait_for: '60s' }).catch(() => undefined);
    await waitForWaitingReceivers(stack.sinkRedis, stack.api.config.redisPrefix, sink.id, 1);
    await spawned.kill9();
    const killed = Date.now();

    const accepted = await waitFor(
      async () => {
        const answer = await client.receive({ wait_for: 500 });
        return answer.status === 429 ? undefined : answer;
      },
      { timeoutMs: 10_000, intervalMs: 100, message: 'a long poll to be accepted after the kill' },
    );
    expect(Date.now() - killed).toBeLessThan(7_000);
    expect(accepted.status).toBe(200);
    const again = accepted.body.data.length > 0 ? accepted.body.data : await client.receiveCount(1);
    expect(again.map((m) => m.data.metadata.idempotency_key)).toEqual([claimed!.data.metadata.idempotency_key]);
    await client.ack([again[0]!.ack_id]);
    await expectDrained(sink.id);
  });
});
