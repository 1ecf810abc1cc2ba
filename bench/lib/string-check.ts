import type { Redis } from 'ioredis';
import type pg from 'pg';
import { BENCH_TABLE } from './source.js';

/**
 * Checks a redis_string sink (key_format "qualified", value "record") against the bench table: every
 * row's key holds the row encoded as spec/messages.md says (numeric as a string, jsonb parsed,
 * timestamptz in UTC with 6 fraction digits), and the sink's database holds no other key.
 */
export interface ExpectedRow {
  id: number;
  key: string;
  record: Record<string, unknown>;
}

export interface StringCheck {
  ok: boolean;
  rows: number;
  /** DBSIZE of the sink's database. */
  keys: number;
  missing: number;
  wrongValue: number;
  /** Keys beyond the table's rows (e.g. a deleted row still cached). */
  extra: number;
  problems: string[];
}

const MAX_PROBLEMS = 10;
const CHUNK = 5_000;

export function benchRowKey(id: number | string): string {
  return `sequin:public.${BENCH_TABLE}:${id}`;
}

// pg returns int8 as a string; payload as text so that it is parsed like the sink's value.
const ROWS_SQL = `SELECT id, name, amount::text AS amount, payload::text AS payload,
       to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at
  FROM ${BENCH_TABLE}`;

interface RowText {
  id: string;
  name: string;
  amount: string;
  payload: string;
  updated_at: string;
}

function toExpected(row: RowText): ExpectedRow {
  const id = Number(row.id);
  return {
    id,
    key: benchRowKey(id),
    record: { id, name: row.name, amount: row.amount, payload: JSON.parse(row.payload), updated_at: row.updated_at },
  };
}

/** Rows of the bench table matching `where` (SQL after WHERE, parameters $1…), in id order. */
export async function expectedRows(
  client: pg.Client,
  where: string,
  params: unknown[],
  limit?: number,
): Promise<ExpectedRow[]> {
  const sql = `${ROWS_SQL} WHERE ${where} ORDER BY ${BENCH_TABLE}.id${limit === undefined ? '' : ` LIMIT ${limit}`}`;
  const { rows } = await client.query<RowText>(sql, params);
  return rows.map(toExpected);
}

/** JSON with object keys sorted, so that two encodings compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Per expected row: 'ok', 'missing' or 'wrong', from one MGET. */
export async function compareRows(redis: Redis, rows: ExpectedRow[]): Promise<Array<'ok' | 'missing' | 'wrong'>> {
  if (rows.length === 0) return [];
  const values = await redis.mget(rows.map((row) => row.key));
  return rows.map((row, i) => {
    const value = values[i];
    if (value === null || value === undefined) return 'missing';
    try {
      return canonical(JSON.parse(value)) === canonical(row.record) ? 'ok' : 'wrong';
    } catch {
      return 'wrong';
    }
  });
}

/** The whole table against the sink's database (`redis` must have that database selected). */
export async function checkStringCache(redis: Redis, client: pg.Client): Promise<StringCheck> {
  const result: StringCheck = { ok: false, rows: 0, keys: 0, missing: 0, wrongValue: 0, extra: 0, problems: [] };
  const problem = (text: string): void => {
    if (result.problems.length < MAX_PROBLEMS) result.problems.push(text);
  };
  let after = 0;
  for (;;) {
    const rows = await expectedRows(client, 'id > $1', [after], CHUNK);
    if (rows.length === 0) break;
    const verdicts = await compareRows(redis, rows);
    verdicts.forEach((verdict, i) => {
      if (verdict === 'missing') {
        result.missing++;
        problem(`key ${rows[i]!.key} missing`);
      } else if (verdict === 'wrong') {
        result.wrongValue++;
        problem(`key ${rows[i]!.key} does not hold row ${rows[i]!.id} as the table has it`);
      }
    });
    result.rows += rows.length;
    after = rows.at(-1)!.id;
  }
  result.keys = await redis.dbsize();
  result.extra = Math.max(0, result.keys - (result.rows - result.missing));
  if (result.extra > 0) problem(`${result.extra} keys beyond the table's rows`);
  result.ok = result.missing === 0 && result.wrongValue === 0 && result.extra === 0;
  return result;
}
