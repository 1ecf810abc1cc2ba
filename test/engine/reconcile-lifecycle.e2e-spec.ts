import { setTimeout as delay } from 'node:timers/promises';
import { randomSuffix, waitFor } from '#testing/databases.js';
import { type EngineStack, startEngineStack } from '#testing/engine.js';
import { entriesWhenLength } from './stream-entries.js';

const TABLE = 'lifecycle_items';
/** Longer than the maintenance worker's reconcile period (5 s): a reconcile runs inside the window. */
const RECONCILE_WINDOW_MS = 6_500;

/**
 * The reader follows the slot's status through the API: disabling the slot ends its reader (and
 * reconcile does not start another), enabling it brings one back that reads what was committed
 * meanwhile, and deleting the sinks and the database leaves no reader on the slot.
 */
describe('engine: slot lifecycle through the API', () => {
  let stack: EngineStack;

  beforeAll(async () => {
    stack = await startEngineStack([`CREATE TABLE ${TABLE} (id int PRIMARY KEY, v text NOT NULL)`]);
  });
  afterAll(() => stack?.close());

  const insert = (id: number) => stack.source.client.query(`INSERT INTO ${TABLE} VALUES ($1, $2)`, [id, `v${id}`]);

  const readerPid = (message: string) =>
    waitFor(() => stack.slotActivePid().then((pid) => pid ?? undefined), { timeoutMs: 20_000, message });

  const noReader = (message: string) =>
    waitFor(async () => (await stack.slotActivePid()) === null, { timeoutMs: 5_000, message });

  /** Checks `holds` over a whole reconcile period; fails at the first time it does not. */
  async function holdsThroughReconcile(holds: () => Promise<boolean>, what: string): Promise<void> {
    const until = Date.now() + RECONCILE_WINDOW_MS;
    while (Date.now() < until) {
      if (!(await holds())) throw new Error(`no longer true within a reconcile period: ${what}`);
      await delay(200);
    }
  }

  async function setSlotStatus(status: 'active' | 'disabled'): Promise<void> {
    const { data, response } = await stack.api.client.PATCH('/api/postgres_databases/{id_or_name}', {
      params: { path: { id_or_name: stack.databaseId } },
      body: { replication_slots: [{ status }] },
    });
    expect(response.status).toBe(200);
    expect(data!.replication_slots.map((slot) => slot.status)).toEqual([status]);
  }

  it('disable ends the reader, enable resumes without loss, deleting sinks and database leaves the slot unread', async () => {
    const streamKey = `lifecycle-${randomSuffix()}`;
    const sink = await stack.createSink({
      name: 'lifecycle-stream',
      source: { include_tables: [TABLE] },
      destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
    });
    const ids = async (length: number) => (await entriesWhenLength(stack, streamKey, length)).map((e) => e.record.id);
    for (let id = 1; id <= 3; id++) await insert(id);
    expect(await ids(3)).toEqual([1, 2, 3]);
    const firstReader = await readerPid('a reader on the active slot');

    await setSlotStatus('disabled');
    await noReader('the reader to end once the slot is disabled');
    for (let id = 4; id <= 8; id++) await insert(id);
    await holdsThroughReconcile(
      async () => (await stack.slotActivePid()) === null && (await stack.sinkRedis.xlen(streamKey)) === 3,
      'no reader and nothing delivered while the slot is disabled',
    );

    await setSlotStatus('active');
    const secondReader = await readerPid('a reader again once the slot is active');
    expect(secondReader).not.toBe(firstReader);
    await insert(9);
    expect(await ids(9)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);

    const deletedSink = await stack.api.client.DELETE('/api/sinks/{id_or_name}', {
      params: { path: { id_or_name: sink.id } },
    });
    expect(deletedSink.response.status).toBe(200);
    const deletedDatabase = await stack.api.client.DELETE('/api/postgres_databases/{id_or_name}', {
      params: { path: { id_or_name: stack.databaseId } },
    });
    expect(deletedDatabase.response.status).toBe(200);
    await noReader('the reader to end once the database is deleted');
    await insert(10);
    await holdsThroughReconcile(
      async () => (await stack.slotActivePid()) === null,
      'no reader on the slot of a deleted database',
    );
    expect(await stack.sinkRedis.xlen(streamKey)).toBe(9);
  });
});
