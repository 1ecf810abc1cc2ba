import { Redis } from 'ioredis';
import pg from 'pg';
import { testRedisUrl, waitFor } from '#testing/databases.js';
import { type EngineStack, type SinkCreate, startEngineStack } from '#testing/engine.js';

/**
 * redis_string sinks over real replication: keys, values, SET / SET PX / DEL, and a cache that ends
 * equal to its table. The sinks write to a Redis logical database of their own and every table name
 * starts with `str_`, so other test files sharing the Redis server never see these keys.
 */
const DB = 9;

const SETUP = [
  `CREATE TABLE str_basic (id int PRIMARY KEY, name text NOT NULL, qty int)`,
  `CREATE TABLE str_burst (id int PRIMARY KEY, name text NOT NULL, qty int, tags jsonb, active boolean)`,
  // The primary key's own order (b, a) differs from the column order (a, b).
  `CREATE TABLE str_pairs (a int, b int, v text, PRIMARY KEY (b, a))`,
  `CREATE SCHEMA str_other`,
  `CREATE TABLE str_other.str_pairs (a int, b int, v text, PRIMARY KEY (b, a))`,
  `CREATE TABLE str_ttl (id int PRIMARY KEY, v text)`,
  `CREATE TABLE str_hot (id int PRIMARY KEY, n int NOT NULL, writer int)`,
  `CREATE TABLE str_trunc (id int PRIMARY KEY, v text)`,
  `CREATE TABLE str_nopk (v text)`,
  `CREATE TABLE str_dest (id int PRIMARY KEY, v text)`,
  // Deletes then carry the email only, not the primary key.
  `CREATE TABLE str_by_email (id int PRIMARY KEY, email text NOT NULL UNIQUE, v text)`,
  `ALTER TABLE str_by_email REPLICA IDENTITY USING INDEX str_by_email_email_key`,
];

type Destination = Extract<SinkCreate['destination'], { type: 'redis_string' }>;

describe('engine: redis_string', () => {
  let stack: EngineStack;
  let redis: Redis;

  beforeAll(async () => {
    stack = await startEngineStack(SETUP);
    redis = new Redis(testRedisUrl(DB));
    await deleteKeys(redis, 'sequin:*str_*');
  });
  afterAll(async () => {
    await deleteKeys(redis, 'sequin:*str_*').catch(() => undefined);
    redis.disconnect();
    await stack.close();
  });

  const destination = (fields: Partial<Destination> = {}): Destination => ({
    type: 'redis_string',
    host: '127.0.0.1',
    port: stack.sinkRedisPort,
    database: DB,
    ...fields,
  });

  /** Waits until the slot is confirmed past everything written so far: every change is delivered. */
  async function settled(): Promise<void> {
    const { rows } = await stack.source.client.query<{ lsn: string }>(
      `SELECT (pg_current_wal_insert_lsn() - '0/0')::text AS lsn`,
    );
    const target = BigInt(rows[0]!.lsn);
    await waitFor(async () => (await stack.confirmedFlushLsn()) >= target, {
      timeoutMs: 30_000,
      message: 'every change to be delivered (slot confirmed past the last write)',
    });
  }

  async function deleteSink(id: string): Promise<void> {
    const { response } = await stack.api.client.DELETE('/api/sinks/{id_or_name}', {
      params: { path: { id_or_name: id } },
    });
    expect(response.status).toBe(200);
  }

  it('turns insert, update and delete into SET, SET and DEL of sequin:<table>:<pk>, the value being the whole message', async () => {
    const sink = await stack.createSink({
      name: 'str-basic',
      destination: destination(),
      source: { include_tables: ['str_basic'] },
    });
    const { client } = stack.source;
    await client.query(`INSERT INTO str_basic VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3)`);
    await client.query(`UPDATE str_basic SET name = 'TWO', qty = 20 WHERE id = 2`);
    await client.query(`DELETE FROM str_basic WHERE id = 3`);

    await settled();
    const cache = await snapshot(redis, 'sequin:str_basic:*');
    expect([...cache.keys()].sort()).toEqual(['sequin:str_basic:1', 'sequin:str_basic:2']);

    const inserted = JSON.parse(cache.get('sequin:str_basic:1')!);
    expect(Object.keys(inserted)).toEqual(['record', 'changes', 'action', 'metadata']);
    expect(inserted).toMatchObject({
      record: { id: 1, name: 'one', qty: 1 },
      changes: null,
      action: 'insert',
      metadata: {
        table_schema: 'public',
        table_name: 'str_basic',
        record_pks: ['1'],
        consumer: { id: sink.id, name: 'str-basic' },
        database: { id: stack.databaseId, name: stack.databaseName },
      },
    });
    const updated = JSON.parse(cache.get('sequin:str_basic:2')!);
    expect(updated).toMatchObject({ record: { id: 2, name: 'TWO', qty: 20 }, changes: {}, action: 'update' });
    expect(updated.metadata.commit_lsn).toBeGreaterThan(inserted.metadata.commit_lsn);
    // No expiry unless expire_ms is set.
    expect(await redis.pttl('sequin:str_basic:1')).toBe(-1);

    // The row comes back: a new SET of the same key.
    await client.query(`INSERT INTO str_basic VALUES (3, 'again', null)`);
    await waitFor(async () => (await redis.get('sequin:str_basic:3')) !== null, { message: 'key 3 set again' });
    expect(JSON.parse((await redis.get('sequin:str_basic:3'))!)).toMatchObject({
      record: { id: 3, name: 'again', qty: null },
      action: 'insert',
    });
    await deleteSink(sink.id);
  });

  it('ends with the cache equal to the table after a burst of random inserts, updates and deletes from concurrent writers', async () => {
    const sink = await stack.createSink({
      name: 'str-burst',
      destination: destination({ value: 'record' }),
      source: { include_tables: ['str_burst'] },
    });
    const random = seededRandom(20261123);
    const writers = await Promise.all([0, 1, 2].map(() => connect(stack.source.url)));
    try {
      await Promise.all(writers.map((writer) => burst(writer, random, 40)));
    } finally {
      await Promise.all(writers.map((w) => w.end()));
    }

    await settled();
    const { rows } = await stack.source.client.query<Record<string, unknown>>(`SELECT * FROM str_burst ORDER BY id`);
    expect(rows.length).toBeGreaterThan(10); // the workload left rows behind…
    const cache = await snapshot(redis, 'sequin:str_burst:*');
    const expected = new Map(rows.map((row) => [`sequin:str_burst:${row.id}`, row]));
    // …and the cache holds exactly those keys, each with exactly the row as its value.
    expect([...cache.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, value] of cache) expect(JSON.parse(value)).toEqual(expected.get(key));
    await deleteSink(sink.id);
  });

  it('keys composite primary keys in key order: sequin:<table>:<pk1>-<pk2>, or qualified sequin:<schema>.<table>:<pk1>:<pk2>', async () => {
    const sequin = await stack.createSink({
      name: 'str-pairs-sequin',
      destination: destination({ value: 'record' }),
      source: { include_tables: ['public.str_pairs'] },
    });
    const qualified = await stack.createSink({
      name: 'str-pairs-qualified',
      destination: destination({ key_format: 'qualified', value: 'record' }),
      source: { include_tables: ['public.str_pairs', 'str_other.str_pairs'] },
    });
    const { client } = stack.source;
    await client.query(`INSERT INTO str_pairs (a, b, v) VALUES (1, 2, 'p12'), (3, 4, 'p34'), (5, 6, 'p56')`);
    await client.query(`INSERT INTO str_other.str_pairs (a, b, v) VALUES (1, 2, 'o12')`);
    await client.query(`UPDATE str_pairs SET v = 'p34*' WHERE a = 3`);
    await client.query(`DELETE FROM str_pairs WHERE a = 5`);

    await settled();
    expect(Object.fromEntries(await snapshot(redis, 'sequin:str_pairs:*'))).toEqual({
      'sequin:str_pairs:2-1': JSON.stringify({ a: 1, b: 2, v: 'p12' }),
      'sequin:str_pairs:4-3': JSON.stringify({ a: 3, b: 4, v: 'p34*' }),
    });
    expect(Object.fromEntries(await snapshot(redis, 'sequin:*.str_pairs:*'))).toEqual({
      'sequin:public.str_pairs:2:1': JSON.stringify({ a: 1, b: 2, v: 'p12' }),
      'sequin:public.str_pairs:4:3': JSON.stringify({ a: 3, b: 4, v: 'p34*' }),
      'sequin:str_other.str_pairs:2:1': JSON.stringify({ a: 1, b: 2, v: 'o12' }),
    });
    await deleteSink(sequin.id);
    await deleteSink(qualified.id);
  });

  it('sets keys with PX expire_ms', async () => {
    const expireMs = 120_000;
    const sink = await stack.createSink({
      name: 'str-ttl',
      destination: destination({ expire_ms: expireMs }),
      source: { include_tables: ['str_ttl'] },
    });
    await stack.source.client.query(`INSERT INTO str_ttl VALUES (1, 'a'), (2, 'b')`);
    await stack.source.client.query(`UPDATE str_ttl SET v = 'b2' WHERE id = 2`);
    await settled();
    for (const key of ['sequin:str_ttl:1', 'sequin:str_ttl:2']) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(expireMs);
    }
    expect(JSON.parse((await redis.get('sequin:str_ttl:2'))!).record).toEqual({ id: 2, v: 'b2' });
    await deleteSink(sink.id);
  });

  it('applies many quick updates of the same few rows in order: values only move forward and end at the latest', async () => {
    const rowIds = [1, 2, 3, 4];
    await stack.source.client.query(`INSERT INTO str_hot SELECT i, 0, null FROM unnest($1::int[]) AS i`, [rowIds]);
    const sink = await stack.createSink({
      name: 'str-hot',
      destination: destination({ value: 'record' }),
      source: { include_tables: ['str_hot'] },
      batch_size: 3,
    });

    // Watch the cache while the updates flow: a value seen going backwards is an out-of-order SET.
    const keys = rowIds.map((id) => `sequin:str_hot:${id}`);
    const seen = new Map<string, number>();
    const regressions: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const values = await redis.mget(...keys);
        values.forEach((value, i) => {
          if (value === null) return;
          const n = (JSON.parse(value) as { n: number }).n;
          if (n < (seen.get(keys[i]!) ?? -1)) regressions.push(`${keys[i]}: ${seen.get(keys[i]!)} → ${n}`);
          seen.set(keys[i]!, Math.max(n, seen.get(keys[i]!) ?? -1));
        });
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();

    const writers = await Promise.all([0, 1, 2, 3].map(() => connect(stack.source.url)));
    try {
      await Promise.all(
        writers.map(async (writer, w) => {
          for (let i = 0; i < 60; i++) {
            await writer.query(`UPDATE str_hot SET n = n + 1, writer = $2 WHERE id = $1`, [rowIds[(i + w) % 4], w]);
          }
          // And a transaction updating one row many times over.
          await writer.query('BEGIN');
          for (let i = 0; i < 25; i++) await writer.query(`UPDATE str_hot SET n = n + 1 WHERE id = $1`, [rowIds[w]]);
          await writer.query('COMMIT');
        }),
      );
    } finally {
      await Promise.all(writers.map((w) => w.end()));
    }
    await settled();
    watching = false;
    await watcher;

    const { rows } = await stack.source.client.query<{ id: number; n: number; writer: number | null }>(
      `SELECT id, n, writer FROM str_hot ORDER BY id`,
    );
    expect(rows.reduce((sum, row) => sum + row.n, 0)).toBe(4 * (60 + 25));
    for (const row of rows) {
      expect(JSON.parse((await redis.get(`sequin:str_hot:${row.id}`))!)).toEqual(row);
    }
    expect(regressions).toEqual([]);
    await deleteSink(sink.id);
  });

  it('applies a PATCH of the destination to later changes, keeping one connection to the sink Redis', async () => {
    const sink = await stack.createSink({
      name: 'str-dest',
      destination: destination({ value: 'record' }),
      source: { include_tables: ['str_dest'] },
    });
    const connections = async () =>
      ((await redis.call('CLIENT', 'LIST')) as string)
        .split('\n')
        .filter((line) => line.includes(' name=sluice:str-dest '));
    await stack.source.client.query(`INSERT INTO str_dest VALUES (1, 'a')`);
    await waitFor(async () => (await redis.get('sequin:str_dest:1')) !== null, { message: 'key 1' });
    expect(await redis.pttl('sequin:str_dest:1')).toBe(-1);
    expect(await connections()).toHaveLength(1);

    const { response } = await stack.api.client.PATCH('/api/sinks/{id_or_name}', {
      params: { path: { id_or_name: sink.id } },
      body: { destination: { type: 'redis_string', expire_ms: 60_000, value: 'message' } },
    });
    expect(response.status).toBe(200);
    // Changes made from now on are written with the new settings once the reader has them.
    for (let id = 2; ; id++) {
      await stack.source.client.query(`INSERT INTO str_dest VALUES ($1, 'b')`, [id]);
      const written = await waitFor(async () => (await redis.get(`sequin:str_dest:${id}`)) ?? undefined, {
        timeoutMs: 10_000,
      });
      if ((JSON.parse(written) as { action?: string }).action === 'insert') {
        expect(await redis.pttl(`sequin:str_dest:${id}`)).toBeGreaterThan(0);
        break;
      }
      if (id > 40) throw new Error('the new destination settings were never applied');
    }
    await settled();
    // The connection of the replaced destination is closed, not left behind.
    await waitFor(async () => (await connections()).length <= 1, { timeoutMs: 5000 }).catch(() => undefined);
    expect(await connections()).toHaveLength(1);
    await deleteSink(sink.id);
    await waitFor(async () => (await connections()).length === 0, { message: 'no connection of a deleted sink' });
  });

  it('deletes nothing on truncate (even with truncate in actions) and skips tables without a primary key', async () => {
    const sink = await stack.createSink({
      name: 'str-trunc',
      destination: destination({ value: 'record' }),
      source: { include_tables: ['str_trunc', 'str_nopk'] },
      actions: ['insert', 'update', 'delete', 'truncate'],
    });
    const { client } = stack.source;
    await client.query(`INSERT INTO str_trunc VALUES (1, 'a'), (2, 'b')`);
    await client.query(`INSERT INTO str_nopk VALUES ('x'), ('y')`);
    await client.query(`TRUNCATE str_trunc`);
    await client.query(`INSERT INTO str_trunc VALUES (3, 'c')`);

    // The slot moving past everything shows nothing is stuck (no key to write is not a failure).
    await settled();
    expect(Object.fromEntries(await snapshot(redis, 'sequin:str_trunc:*'))).toEqual({
      'sequin:str_trunc:1': JSON.stringify({ id: 1, v: 'a' }),
      'sequin:str_trunc:2': JSON.stringify({ id: 2, v: 'b' }),
      'sequin:str_trunc:3': JSON.stringify({ id: 3, v: 'c' }),
    });
    expect(await snapshot(redis, 'sequin:*str_nopk*')).toEqual(new Map());
    await deleteSink(sink.id);
  });

  it('fails a delete that came without its primary key visibly, with the reason, instead of deleting a wrong key', async () => {
    const sink = await stack.createSink({
      name: 'str-by-email',
      destination: destination({ value: 'record' }),
      source: { include_tables: ['str_by_email'] },
    });
    const { client } = stack.source;
    await client.query(`INSERT INTO str_by_email VALUES (1, 'a@example.com', 'a'), (2, 'b@example.com', 'b')`);
    await waitFor(async () => (await redis.exists('sequin:str_by_email:1', 'sequin:str_by_email:2')) === 2, {
      message: 'both rows cached',
    });
    await client.query(`DELETE FROM str_by_email WHERE id = 1`);
    await client.query(`INSERT INTO str_by_email VALUES (3, 'c@example.com', 'c')`);

    const messages = async (state: 'failing') =>
      (
        await stack.api.client.GET('/api/sinks/{id_or_name}/messages', {
          params: { path: { id_or_name: sink.id }, query: { state } },
        })
      ).data!.data;
    const [failing] = await waitFor(async () => {
      const listed = await messages('failing');
      return listed.length > 0 ? listed : undefined;
    });
    expect(failing).toMatchObject({
      last_error: expect.stringContaining('came without its primary key column(s) id'),
      data: { action: 'delete', record: { id: null, email: 'a@example.com' } },
    });
    expect(Object.keys(failing!.data)).toEqual(['record', 'changes', 'action', 'metadata']);
    // Later rows go on; the row stays cached (a wrong key was not deleted, nor one named 'sequin:str_by_email:').
    await waitFor(async () => (await redis.exists('sequin:str_by_email:3')) === 1, { message: 'the later row' });
    expect(await redis.exists('sequin:str_by_email:1')).toBe(1);
    expect(await redis.exists('sequin:str_by_email:')).toBe(0);
    const health = await waitFor(async () => {
      const { data } = await stack.api.client.GET('/api/sinks/{id_or_name}', {
        params: { path: { id_or_name: sink.id } },
      });
      return data!.health.checks.some((c) => c.name === 'source_changes') ? data!.health : undefined;
    });
    expect(health.checks).toContainEqual({
      name: 'source_changes',
      status: 'warning',
      message: expect.stringMatching(/changes of public\.str_by_email come without primary key column\(s\) id/),
    });
    await deleteSink(sink.id);
  });
});

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client(url);
  await client.connect();
  return client;
}

/**
 * `transactions` transactions of 1–8 random upserts, updates and deletes over ids 1–60, in id order
 * within a transaction (no deadlocks between the concurrent writers).
 */
async function burst(client: pg.Client, random: () => number, transactions: number): Promise<void> {
  const names = ['alpha', 'beta', 'gamma', 'δέλτα', 'quote " and \\ backslash', '', 'emoji 🚀'];
  for (let t = 0; t < transactions; t++) {
    const ops = Array.from({ length: 1 + Math.floor(random() * 8) }, () => ({
      id: 1 + Math.floor(random() * 60),
      kind: random(),
      name: names[Math.floor(random() * names.length)]!,
      qty: random() < 0.2 ? null : Math.floor(random() * 1000),
      tags: random() < 0.3 ? null : { n: Math.floor(random() * 10), list: ['a', random() < 0.5] },
      active: random() < 0.5,
    })).sort((x, y) => x.id - y.id);
    await client.query('BEGIN');
    for (const op of ops) {
      if (op.kind < 0.55) {
        await client.query(
          `INSERT INTO str_burst VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET name = $2, qty = $3, tags = $4, active = $5`,
          [op.id, op.name, op.qty, op.tags === null ? null : JSON.stringify(op.tags), op.active],
        );
      } else if (op.kind < 0.8) {
        await client.query(`UPDATE str_burst SET qty = coalesce(qty, 0) + 1, active = NOT active WHERE id = $1`, [
          op.id,
        ]);
      } else {
        await client.query(`DELETE FROM str_burst WHERE id = $1`, [op.id]);
      }
    }
    await client.query('COMMIT');
  }
}

/** Keys matching `pattern` with their string values. */
async function snapshot(redis: Redis, pattern: string): Promise<Map<string, string>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  const unique = [...new Set(keys)];
  const values = unique.length > 0 ? await redis.mget(...unique) : [];
  const result = new Map<string, string>();
  unique.forEach((key, i) => {
    if (values[i] !== null) result.set(key, values[i]!);
  });
  return result;
}

async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  const keys = [...(await snapshot(redis, pattern)).keys()];
  if (keys.length > 0) await redis.del(...keys);
}

/** mulberry32: a reproducible workload. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
