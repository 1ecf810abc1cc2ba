import pg from 'pg';

/**
 * The benchmark table: text, numeric, jsonb and timestamptz columns, ≈200 bytes a row. Every column
 * value is a function of the id, so a reader can check each change it receives.
 */
export const BENCH_TABLE = 'bench_rows';

export const CREATE_BENCH_TABLE = `CREATE TABLE ${BENCH_TABLE} (
  id bigint PRIMARY KEY,
  name text NOT NULL,
  amount numeric(12,2) NOT NULL,
  payload jsonb NOT NULL,
  updated_at timestamptz NOT NULL
)`;

const INSERT_RANGE = `INSERT INTO ${BENCH_TABLE} (id, name, amount, payload, updated_at)
SELECT g,
       'customer-' || g || '-' || md5(g::text),
       (g % 100000) / 100.0,
       jsonb_build_object('sku', 'SKU-' || (g % 9973), 'qty', g % 17, 'tags', jsonb_build_array('red', 'large'),
                          'note', md5((g * 7)::text)),
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
FROM generate_series($1::bigint, $2::bigint) AS g`;

const UPDATE_RANGE = `UPDATE ${BENCH_TABLE}
SET amount = amount + 1, payload = payload || '{"qty": 99}', updated_at = updated_at + interval '1 day'
WHERE id BETWEEN $1 AND $2`;

const DELETE_RANGE = `DELETE FROM ${BENCH_TABLE} WHERE id BETWEEN $1 AND $2`;

/** What the pre-load wrote: inserts of ids 1..inserts, then updates of 1..updates, then deletes of the top ids. */
export interface PreloadPlan {
  inserts: number;
  updates: number;
  deletes: number;
  /** Deleted ids are firstDeleted..inserts. */
  firstDeleted: number;
  total: number;
  transactions: number;
}

export function planPreload(
  changes: number,
  mix: { insert: number; update: number },
): Omit<PreloadPlan, 'transactions'> {
  const inserts = Math.round((changes * mix.insert) / 100);
  const updates = Math.round((changes * mix.update) / 100);
  const deletes = changes - inserts - updates;
  return { inserts, updates, deletes, firstDeleted: inserts - deletes + 1, total: changes };
}

/** The expected `amount` of row `id` in Postgres' text form, before (+0) or after (+100) the update. */
export function expectedAmount(id: number, plusCents = 0): string {
  const cents = (id % 100_000) + plusCents;
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

export function expectedQty(id: number, updated: boolean): number {
  return updated ? 99 : id % 17;
}

/**
 * Writes the plan into the source as fast as bulk SQL allows: each statement covers `txnSize` ids and
 * commits on its own, so the slot holds `changes` row changes in ⌈changes / txnSize⌉-ish transactions.
 */
export async function preload(
  url: string,
  changes: number,
  mix: { insert: number; update: number },
  txnSize: number,
  progress: (done: number) => void,
): Promise<PreloadPlan> {
  const plan = planPreload(changes, mix);
  const client = new pg.Client(url);
  await client.connect();
  let transactions = 0;
  let done = 0;
  const ranges = async (sql: string, from: number, to: number): Promise<void> => {
    for (let start = from; start <= to; start += txnSize) {
      const end = Math.min(to, start + txnSize - 1);
      const result = await client.query(sql, [start, end]);
      if (result.rowCount !== end - start + 1) {
        throw new Error(`pre-load: ${sql.split(' ')[0]} ${start}..${end} touched ${result.rowCount} rows`);
      }
      transactions++;
      done += end - start + 1;
      if (transactions % 200 === 0) progress(done);
    }
  };
  try {
    await ranges(INSERT_RANGE, 1, plan.inserts);
    await ranges(UPDATE_RANGE, 1, plan.updates);
    await ranges(DELETE_RANGE, plan.firstDeleted, plan.inserts);
  } finally {
    await client.end();
  }
  return { ...plan, transactions };
}

export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export async function currentWalLsn(url: string): Promise<string> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    return rows[0]!.lsn;
  });
}

export async function createSlot(url: string, slot: string, plugin: 'pgoutput' | 'test_decoding'): Promise<string> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ lsn: string }>(
      'SELECT lsn::text FROM pg_create_logical_replication_slot($1, $2)',
      [slot, plugin],
    );
    return rows[0]!.lsn;
  });
}

/** Drops these slots where no session holds them (a running reader keeps its own). */
export async function dropSlots(url: string, slots: string[]): Promise<void> {
  await withClient(url, (client) =>
    client.query(
      `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
       WHERE slot_name = ANY($1) AND NOT active`,
      [slots],
    ),
  );
}

export async function confirmedFlushLsn(url: string, slot: string): Promise<string | null> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ lsn: string | null }>(
      'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    return rows[0]?.lsn ?? null;
  });
}
