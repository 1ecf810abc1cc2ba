import type { Redis } from 'ioredis';
import pg from 'pg';
import { randomSuffix, waitFor } from '#testing/databases.js';
import { type EngineStack, startEngineStack, startWorkload, workloadTableSql } from '#testing/engine.js';
import { type PrivateRedis, startPrivateRedis } from '#testing/private-redis.js';
import { spawnWorker, type SpawnedProcess } from '#testing/processes.js';
import {
  keysNotAppliedInOrder,
  monitorCommands,
  REFUSED_ID as POISON_ID,
  shortKeysUser,
} from '#testing/redis-commands.js';

const TABLE = 'retry_killed_items';
const POISON_CHANGES = 15;

/**
 * A worker killed with SIGKILL while a Redis String group is in retry (its head refused, waiting for
 * its next attempt, not yet parked): the retry lived only in that worker's memory, so the slot must
 * not have moved past it. The next worker reads it again, the other rows flow meanwhile, and once
 * the key is allowed the group arrives whole and in order.
 */
describe('faults: a worker killed with SIGKILL while a group is in retry', () => {
  let stack: EngineStack;
  let sinkRedis: PrivateRedis;
  const clients: Redis[] = [];
  const spawned: SpawnedProcess[] = [];

  beforeAll(async () => {
    stack = await startEngineStack(workloadTableSql(TABLE), { inProcessWorker: false });
    sinkRedis = await startPrivateRedis('retry-killed');
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await Promise.all(spawned.map((worker) => worker.stop()));
    try {
      await stack?.close();
    } finally {
      await sinkRedis?.close();
    }
  });

  const spawn = (): SpawnedProcess => {
    const worker = spawnWorker(stack.api.config);
    spawned.push(worker);
    return worker;
  };

  it('the next worker delivers the group once allowed and every other row meanwhile, each key in commit order', async () => {
    const { server, redis } = sinkRedis;
    const prefix = `sequin:${TABLE}:`;
    const poisonKey = `${prefix}${POISON_ID}`;
    const shortKeys = await shortKeysUser(redis, prefix, 'retry');
    const applied = await monitorCommands(server.url, prefix);
    clients.push(...applied.clients);
    const sink = await stack.createSink({
      name: `retry-killed-${randomSuffix()}`,
      source: { include_tables: [TABLE] },
      destination: shortKeys.stringDestination(server.port),
    });

    const first = spawn();
    await waitFor(() => stack.slotActivePid().then((pid) => pid ?? undefined), {
      timeoutMs: 40_000,
      message: `the first worker to read the slot\n${first.output()}`,
    });
    const workload = startWorkload(stack.source.url, TABLE, { transactions: 300, rows: 40, pauseMs: 4 });
    const poisoned = writePoisonRow(stack.source.url);
    poisoned.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile

    // In retry: refused three times (after waits of 1 s and 2 s), not parked (after 5 s). The reader
    // reports its flush position every second meanwhile: were the group's changes counted as done,
    // the slot would already be past them when the worker dies.
    await waitFor(
      async () => {
        const { data } = await stack.api.client.GET('/api/sinks/{id_or_name}/messages', {
          params: { path: { id_or_name: sink.id }, query: { state: 'failing' } },
        });
        return data?.data.some((message) => message.deliver_count >= 3);
      },
      { timeoutMs: 20_000, message: 'the poisoned group’s head refused three times' },
    );
    // Its failure is on record; parking would store the group's later changes too, as pending.
    const recorded = await stack.metadataQuery(`SELECT state FROM parked_messages WHERE sink_id = $1`, [sink.id]);
    expect(recorded).toEqual([{ state: 'failing' }]);
    await first.kill9();
    const second = spawn();

    await workload.done;
    const poisonedValues = await poisoned;
    const expected = await workload.expected();
    const { rows } = await stack.source.client.query<{ id: number; v: number; txn: number }>(
      `SELECT id, v, txn FROM ${TABLE} WHERE id <> $1`,
      [POISON_ID],
    );
    const wanted = rows.map((row) => [`${prefix}${row.id}`, JSON.stringify(row)] as const);
    await waitFor(
      async () => {
        const values = await redis.mget(wanted.map(([key]) => key));
        return wanted.every(([, value], i) => values[i] === value);
      },
      { timeoutMs: 60_000, message: `every other row in the cache as in the table\n${second.output()}` },
    );
    expect(await redis.exists(poisonKey)).toBe(0);

    await shortKeys.allowAll();
    const { response } = await stack.api.client.POST('/api/sinks/{id_or_name}/messages/redeliver', {
      params: { path: { id_or_name: sink.id } },
      body: {},
    });
    expect(response.status).toBe(200);
    await waitFor(async () => (await redis.get(poisonKey)) === poisonedValues.at(-1), {
      timeoutMs: 30_000,
      message: 'the poisoned row’s last change once its key is allowed',
    });
    // MONITOR reports on its own connection: wait until it has listed that last SET too.
    await waitFor(async () => applied.byKey().get(poisonKey)?.at(-1) === `SET ${poisonedValues.at(-1)}`, {
      message: 'the monitor to list the poisoned row’s last change',
    });

    const expectedByKey = new Map<string, string[]>();
    const add = (key: string, command: string): void => {
      expectedByKey.set(key, [...(expectedByKey.get(key) ?? []), command]);
    };
    for (const change of expected) {
      const record = JSON.stringify({ id: change.id, v: change.v, txn: change.txn });
      add(`${prefix}${change.id}`, change.action === 'delete' ? 'DEL' : `SET ${record}`);
    }
    for (const value of poisonedValues) add(poisonKey, `SET ${value}`);
    // Each key may replay once: the other rows from the slot's confirmed position, the poisoned one
    // its head (restored from its failure record, and read again from the slot behind it).
    expect(keysNotAppliedInOrder(applied.byKey(), expectedByKey)).toEqual([]);
    expect(second.child.exitCode).toBeNull();
  }, 180_000);
});

/** Inserts the poisoned row, then updates it, from its own connection; returns its records in commit order. */
async function writePoisonRow(url: string): Promise<string[]> {
  const client = new pg.Client(url);
  await client.connect();
  const values: string[] = [];
  try {
    for (let v = 0; v < POISON_CHANGES; v++) {
      await client.query(
        v === 0 ? `INSERT INTO ${TABLE} (id, v, txn) VALUES ($1, $2, 0)` : `UPDATE ${TABLE} SET v = $2 WHERE id = $1`,
        [POISON_ID, v],
      );
      values.push(JSON.stringify({ id: POISON_ID, v, txn: 0 }));
    }
  } finally {
    await client.end();
  }
  return values;
}
