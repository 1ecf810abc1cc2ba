import { randomSuffix, waitFor } from '#testing/databases.js';
import { type EngineStack, startEngineStack } from '#testing/engine.js';

const TABLE = 'held_items';
const MAX_ACK_PENDING = 30;

/**
 * A paused sink holds more than its max_ack_pending: the reader stops reading (the slot keeps the
 * WAL), and the API's resume, disable or delete must still reach it, or the slot would stay stuck.
 */
describe('engine: a paused sink at its in-flight bound', () => {
  let stack: EngineStack;

  beforeAll(async () => {
    stack = await startEngineStack([`CREATE TABLE ${TABLE} (id int PRIMARY KEY, v int NOT NULL)`]);
  });
  afterAll(() => stack?.close());

  async function heldSink() {
    const streamKey = `held-${randomSuffix()}`;
    const sink = await stack.createSink({
      name: `held-${randomSuffix()}`,
      status: 'paused',
      max_ack_pending: MAX_ACK_PENDING,
      source: { include_tables: [TABLE] },
      destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
    });
    return { sink, streamKey };
  }

  const patch = async (sink: string, body: Record<string, unknown>) => {
    const { response } = await stack.api.client.PATCH('/api/sinks/{id_or_name}', {
      params: { path: { id_or_name: sink } },
      body,
    });
    expect(response.status).toBe(200);
  };

  let nextId = 1;
  async function insert(rows: number): Promise<void> {
    await stack.source.client.query(`INSERT INTO ${TABLE} SELECT g, 0 FROM generate_series($1::int, $2::int) g`, [
      nextId,
      nextId + rows - 1,
    ]);
    nextId += rows;
  }

  /** An active sink on the same table: it stops receiving when the reader stops at the held sink's bound. */
  async function witnessSink(): Promise<string> {
    const streamKey = `witness-${randomSuffix()}`;
    await stack.createSink({
      name: `witness-${randomSuffix()}`,
      source: { include_tables: [TABLE] },
      destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
    });
    return streamKey;
  }

  /** Writes `batches` transactions of MAX_ACK_PENDING rows and waits until the reader has stopped at the bound. */
  async function writeUntilHeld(witness: string, batches: number): Promise<void> {
    for (let i = 0; i < batches; i++) await insert(MAX_ACK_PENDING);
    let previous = -1;
    await waitFor(
      async () => {
        const length = await stack.sinkRedis.xlen(witness);
        const stopped = length >= MAX_ACK_PENDING && length === previous;
        previous = length;
        return stopped;
      },
      { intervalMs: 500, message: 'the reader to stop at the held sink’s bound' },
    );
    expect(await stack.sinkRedis.xlen(witness)).toBeLessThan(batches * MAX_ACK_PENDING);
  }

  it('resumes delivery when the paused sink is made active again, every change in order', async () => {
    const { sink, streamKey } = await heldSink();
    const witness = await witnessSink();
    const first = nextId;
    await writeUntilHeld(witness, 4);
    await patch(sink.name, { status: 'active' });
    await waitFor(async () => (await stack.sinkRedis.xlen(streamKey)) === 4 * MAX_ACK_PENDING, {
      timeoutMs: 20_000,
      message: 'every held change to be delivered after the resume',
    });
    const ids = (await stack.sinkRedis.xrange(streamKey, '-', '+')).map(([, fields]) => {
      const record = JSON.parse(fields[fields.indexOf('record') + 1]!) as { id: number };
      return record.id;
    });
    expect(ids).toEqual(Array.from({ length: 4 * MAX_ACK_PENDING }, (_, i) => first + i));
  });

  it('lets other sinks go on once the held sink is deleted', async () => {
    const { sink } = await heldSink();
    const other = await witnessSink();
    await writeUntilHeld(other, 3);
    const { response } = await stack.api.client.DELETE('/api/sinks/{id_or_name}', {
      params: { path: { id_or_name: sink.name } },
    });
    expect(response.status).toBe(200);
    await waitFor(async () => (await stack.sinkRedis.xlen(other)) === 3 * MAX_ACK_PENDING, {
      timeoutMs: 20_000,
      message: 'the other sink to receive everything once the held sink is gone',
    });
  });
});
