import type { Redis } from 'ioredis';
import pg from 'pg';
import { waitFor } from '#testing/databases.js';
import { type EngineStack, startEngineStack, startWorkload, workloadTableSql } from '#testing/engine.js';
import { type PrivateRedis, startPrivateRedis } from '#testing/private-redis.js';
import { REFUSED_ID as POISON_ID, shortKeysUser } from '#testing/redis-commands.js';

const TABLE = 'parked_items';
const POISON_UPDATES = 80;
const MAX_ACK_PENDING = 20;

/**
 * Isolation beyond the in-flight bound: a Redis String group the destination refuses (NOPERM) gets
 * far more changes than max_ack_pending. Its messages are parked in the metadata Postgres (and the
 * slot moves past them), so every other row keeps flowing; once the key is allowed, the parked group
 * is delivered from the store in order, across a worker restart.
 */
describe('engine: a poisoned Redis String group is parked, not held in memory', () => {
  let stack: EngineStack;
  let sinkRedis: PrivateRedis;

  beforeAll(async () => {
    stack = await startEngineStack(workloadTableSql(TABLE));
    sinkRedis = await startPrivateRedis('parked');
  });
  afterAll(async () => {
    try {
      await stack?.close();
    } finally {
      await sinkRedis?.close();
    }
  });

  const parkedRows = async (sinkId: string) =>
    stack.metadataQuery<{ state: string; count: number }>(
      `SELECT state, count(*)::int AS count FROM parked_messages WHERE sink_id = $1 GROUP BY state ORDER BY state`,
      [sinkId],
    );

  it('keeps every other row flowing past the bound, moves the slot on, and delivers the group in order later', async () => {
    const { server, redis } = sinkRedis;
    const prefix = `sequin:${TABLE}:`;
    const shortKeys = await shortKeysUser(redis, prefix, 'parked');
    const sink = await stack.createSink({
      name: 'parked-cache',
      source: { include_tables: [TABLE] },
      max_ack_pending: MAX_ACK_PENDING,
      destination: shortKeys.stringDestination(server.port),
    });

    const workload = startWorkload(stack.source.url, TABLE, { transactions: 400, rows: 40, pauseMs: 10 });
    const lastPoisonValue = await writePoisonRow(stack.source.url);
    await workload.done;
    const { rows: walEnd } = await stack.source.client.query<{ lsn: string }>(
      `SELECT (pg_current_wal_lsn() - '0/0')::text AS lsn`,
    );

    const { rows } = await stack.source.client.query<{ id: number; v: number; txn: number }>(
      `SELECT id, v, txn FROM ${TABLE} WHERE id <> $1`,
      [POISON_ID],
    );
    const wanted = new Map(rows.map((row) => [`${prefix}${row.id}`, JSON.stringify(row)]));
    await waitFor(async () => sameEntries(await cached(redis, [...wanted.keys()]), wanted), {
      timeoutMs: 40_000,
      message: 'every other row in the cache as in the table, with the poisoned group far past the bound',
    });
    // Parked and settled: the slot is confirmed past everything, the poisoned changes included.
    await waitFor(async () => (await stack.confirmedFlushLsn()) >= BigInt(walEnd[0]!.lsn), {
      timeoutMs: 20_000,
      message: 'the slot to move past the parked changes',
    });
    const parked = await parkedRows(sink.id);
    expect(parked.reduce((sum, row) => sum + row.count, 0)).toBe(POISON_UPDATES + 1);
    expect(parked.find((row) => row.state === 'failing')?.count).toBe(1);
    expect(await redis.exists(`${prefix}${POISON_ID}`)).toBe(0);

    await stack.restartWorker(); // the parked group is restored from the store by the new session
    await stack.source.client.query(`UPDATE ${TABLE} SET v = v + 1000 WHERE id = $1`, [POISON_ID]);
    await waitFor(
      async () => (await parkedRows(sink.id)).reduce((sum, row) => sum + row.count, 0) === POISON_UPDATES + 2,
      {
        message: 'the change after the restart to be parked behind the group',
      },
    );

    await shortKeys.allowAll();
    const { response } = await stack.api.client.POST('/api/sinks/{id_or_name}/messages/redeliver', {
      params: { path: { id_or_name: sink.id } },
      body: {},
    });
    expect(response.status).toBe(200);
    const final = JSON.stringify({ id: POISON_ID, v: lastPoisonValue + 1000, txn: 0 });
    await waitFor(async () => (await redis.get(`${prefix}${POISON_ID}`)) === final, {
      timeoutMs: 30_000,
      message: 'the parked group to be delivered up to the row’s last change, exactly as built',
    });
    await waitFor(async () => (await parkedRows(sink.id)).length === 0, { message: 'the store to be empty' });
  });
});

/** Inserts the poisoned row and updates it, each change its own transaction; returns its last v. */
async function writePoisonRow(url: string): Promise<number> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    await client.query(`INSERT INTO ${TABLE} (id, v, txn) VALUES ($1, 0, 0)`, [POISON_ID]);
    for (let v = 1; v <= POISON_UPDATES; v++) {
      await client.query(`UPDATE ${TABLE} SET v = $2 WHERE id = $1`, [POISON_ID, v]);
    }
  } finally {
    await client.end();
  }
  return POISON_UPDATES;
}

async function cached(redis: Redis, keys: string[]): Promise<Map<string, string | null>> {
  const values = await redis.mget(keys);
  return new Map(keys.map((key, i) => [key, values[i] ?? null]));
}

function sameEntries(got: Map<string, string | null>, wanted: Map<string, string>): boolean {
  for (const [key, value] of wanted) if (got.get(key) !== value) return false;
  return true;
}
