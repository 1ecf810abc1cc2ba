import type pg from 'pg';
import { BENCH_TABLE, type PreloadPlan } from './source.js';

/**
 * The correctness check of a sequin_stream sink after a pre-load (nothing consumed): its rows of
 * stream_messages (metadata Postgres) hold every change once — per row id as many messages as the
 * plan wrote (insert, update, delete) — and, within each group, `seq` order follows
 * (commit_lsn, commit_idx) order.
 */
export interface StoredCheck {
  ok: boolean;
  stored: number;
  /** Messages whose idempotency key an earlier message of the sink already had. */
  duplicates: number;
  missing: number;
  unexpected: number;
  /** Messages whose (commit_lsn, commit_idx) does not follow their group's previous message in seq order. */
  outOfOrder: number;
  problems: string[];
}

const MAX_PROBLEMS = 10;
const CHUNK = 50_000;
const GROUP_PREFIX = `public.${BENCH_TABLE}:`;

export async function countStored(client: pg.Client, sinkId: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM stream_messages WHERE sink_id = $1', [
    sinkId,
  ]);
  return Number(rows[0]!.n);
}

/**
 * The sink's highest `seq` (0 when it has none): one probe of its (sink_id, seq) index, where count(*)
 * reads every stored message and, polled during a run, took up to half a core of the Postgres the
 * store runs on. With nothing consumed and no store rolled back, highest − highest before = stored;
 * a rolled-back store leaves a gap, so confirm with countStored before believing "everything".
 */
export async function highestStoredSeq(client: pg.Client, sinkId: string): Promise<number> {
  const { rows } = await client.query<{ seq: string | null }>(
    'SELECT max(seq) AS seq FROM stream_messages WHERE sink_id = $1',
    [sinkId],
  );
  return Number(rows[0]!.seq ?? 0);
}

export async function checkStoredMessages(client: pg.Client, sinkId: string, plan: PreloadPlan): Promise<StoredCheck> {
  const result: StoredCheck = {
    ok: false,
    stored: 0,
    duplicates: 0,
    missing: 0,
    unexpected: 0,
    outOfOrder: 0,
    problems: [],
  };
  const problem = (text: string): void => {
    if (result.problems.length < MAX_PROBLEMS) result.problems.push(text);
  };
  const counts = new Uint8Array(plan.inserts + 1);
  const lastLsn = new Float64Array(plan.inserts + 1).fill(-1);
  const lastIdx = new Int32Array(plan.inserts + 1).fill(-1);
  const keys = new Set<string>();
  // bigint columns come back from pg as strings.
  let afterSeq = '0';
  for (;;) {
    const { rows } = await client.query<{
      seq: string;
      group_id: string | null;
      commit_lsn: string;
      commit_idx: number;
      idempotency_key: string;
    }>(
      `SELECT seq, group_id, commit_lsn, commit_idx, idempotency_key FROM stream_messages
        WHERE sink_id = $1 AND seq > $2 ORDER BY seq LIMIT ${CHUNK}`,
      [sinkId, afterSeq],
    );
    if (rows.length === 0) break;
    for (const row of rows) {
      result.stored++;
      if (keys.has(row.idempotency_key)) {
        result.duplicates++;
        problem(`seq ${row.seq}: idempotency key ${row.idempotency_key} stored twice`);
        continue;
      }
      keys.add(row.idempotency_key);
      const id = row.group_id?.startsWith(GROUP_PREFIX) ? Number(row.group_id.slice(GROUP_PREFIX.length)) : NaN;
      if (!Number.isInteger(id) || id < 1 || id > plan.inserts) {
        result.unexpected++;
        problem(`seq ${row.seq}: unexpected group ${row.group_id}`);
        continue;
      }
      const lsn = Number(row.commit_lsn);
      if (lsn < lastLsn[id]! || (lsn === lastLsn[id]! && row.commit_idx <= lastIdx[id]!)) {
        result.outOfOrder++;
        problem(
          `seq ${row.seq}: (${lsn}, ${row.commit_idx}) after (${lastLsn[id]}, ${lastIdx[id]}) in group of id ${id}`,
        );
      }
      lastLsn[id] = lsn;
      lastIdx[id] = row.commit_idx;
      counts[id]!++;
    }
    afterSeq = rows.at(-1)!.seq;
  }
  for (let id = 1; id <= plan.inserts; id++) {
    const want = 1 + (id <= plan.updates ? 1 : 0) + (id >= plan.firstDeleted ? 1 : 0);
    const got = counts[id]!;
    if (got < want) {
      result.missing += want - got;
      problem(`id ${id}: ${got} of ${want} messages stored`);
    } else if (got > want) {
      result.unexpected += got - want;
      problem(`id ${id}: ${got} messages stored, ${want} expected`);
    }
  }
  result.ok =
    result.stored === plan.total &&
    result.duplicates === 0 &&
    result.missing === 0 &&
    result.unexpected === 0 &&
    result.outOfOrder === 0;
  return result;
}
