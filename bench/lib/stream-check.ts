import type { Redis } from 'ioredis';
import { expectedAmount, expectedQty, type PreloadPlan } from './source.js';

/**
 * The correctness check of the catch-up: reads the whole stream and checks that, after removing
 * duplicates by idempotency key, every pre-loaded change is there exactly once, with the row it should
 * carry, in total (commit_lsn, commit_idx) order.
 */
export interface StreamCheck {
  ok: boolean;
  entries: number;
  unique: number;
  duplicates: number;
  missing: number;
  unexpected: number;
  outOfOrder: number;
  wrongContent: number;
  /** Average bytes of field names and values of one entry. */
  averageEntryBytes: number;
  /** Up to `sampleSize` entries (field, value, …) spread over the stream, for the XADD limit. */
  sample: string[][];
  problems: string[];
}

interface Metadata {
  commit_lsn: number;
  commit_idx: number;
  idempotency_key: string;
  table_name: string;
}

const MAX_PROBLEMS = 10;

export async function checkCatchUpStream(
  redis: Redis,
  key: string,
  plan: PreloadPlan,
  sampleSize: number,
): Promise<StreamCheck> {
  const length = await redis.xlen(key);
  const every = Math.max(1, Math.floor(length / sampleSize));
  const seenKeys = new Set<string>();
  // One bit per (action, id): 1 insert, 2 update, 4 delete.
  const seen = new Uint8Array(plan.inserts + 1);
  const result: StreamCheck = {
    ok: false,
    entries: 0,
    unique: 0,
    duplicates: 0,
    missing: 0,
    unexpected: 0,
    outOfOrder: 0,
    wrongContent: 0,
    averageEntryBytes: 0,
    sample: [],
    problems: [],
  };
  const problem = (text: string): void => {
    if (result.problems.length < MAX_PROBLEMS) result.problems.push(text);
  };
  let lastLsn = -1;
  let lastIdx = -1;
  let bytes = 0;
  let start = '-';
  for (;;) {
    const chunk = await redis.xrange(key, start, '+', 'COUNT', 5000);
    if (chunk.length === 0) break;
    for (const [id, flat] of chunk) {
      const index = result.entries++;
      const fields: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) {
        fields[flat[i]!] = flat[i + 1]!;
        bytes += flat[i]!.length + flat[i + 1]!.length;
      }
      if (index % every === 0 && result.sample.length < sampleSize) result.sample.push(flat);
      let metadata: Metadata;
      let record: { id: number; amount: string | null; payload: { qty: number } | null };
      try {
        metadata = JSON.parse(fields.metadata!) as Metadata;
        record = JSON.parse(fields.record!) as typeof record;
      } catch {
        result.wrongContent++;
        problem(`entry ${id}: metadata or record is not JSON`);
        continue;
      }
      if (seenKeys.has(metadata.idempotency_key)) {
        result.duplicates++;
        continue;
      }
      seenKeys.add(metadata.idempotency_key);
      result.unique++;
      if (
        Buffer.from(metadata.idempotency_key, 'base64').toString() !== `${metadata.commit_lsn}:${metadata.commit_idx}`
      ) {
        result.wrongContent++;
        problem(`entry ${id}: idempotency key does not match ${metadata.commit_lsn}:${metadata.commit_idx}`);
      }
      if (metadata.commit_lsn < lastLsn || (metadata.commit_lsn === lastLsn && metadata.commit_idx <= lastIdx)) {
        result.outOfOrder++;
        problem(`entry ${id}: (${metadata.commit_lsn}, ${metadata.commit_idx}) after (${lastLsn}, ${lastIdx})`);
      }
      lastLsn = metadata.commit_lsn;
      lastIdx = metadata.commit_idx;
      const action = fields.action;
      const bit = action === 'insert' ? 1 : action === 'update' ? 2 : action === 'delete' ? 4 : 0;
      const rowId = Number(record.id);
      const expected =
        bit === 1 ? rowId <= plan.inserts : bit === 2 ? rowId <= plan.updates : rowId >= plan.firstDeleted;
      if (bit === 0 || !Number.isInteger(rowId) || rowId < 1 || rowId > plan.inserts || !expected) {
        result.unexpected++;
        problem(`entry ${id}: unexpected ${action} of id ${record.id}`);
        continue;
      }
      if (seen[rowId]! & bit) {
        result.unexpected++;
        problem(`entry ${id}: second ${action} of id ${rowId} under another idempotency key`);
        continue;
      }
      seen[rowId]! |= bit;
      if (bit !== 4) {
        const updated = bit === 2;
        if (
          record.amount !== expectedAmount(rowId, updated ? 100 : 0) ||
          record.payload?.qty !== expectedQty(rowId, updated)
        ) {
          result.wrongContent++;
          problem(`entry ${id}: ${action} of id ${rowId} carries amount ${record.amount}, qty ${record.payload?.qty}`);
        }
      }
    }
    start = `(${chunk.at(-1)![0]}`;
  }
  for (let id = 1; id <= plan.inserts; id++) {
    const want = 1 | (id <= plan.updates ? 2 : 0) | (id >= plan.firstDeleted ? 4 : 0);
    const missingBits = want & ~seen[id]!;
    if (missingBits === 0) continue;
    for (const bit of [1, 2, 4]) {
      if (missingBits & bit) {
        result.missing++;
        problem(`missing ${bit === 1 ? 'insert' : bit === 2 ? 'update' : 'delete'} of id ${id}`);
      }
    }
  }
  result.averageEntryBytes = result.entries === 0 ? 0 : bytes / result.entries;
  result.ok =
    result.unique === plan.total &&
    result.missing === 0 &&
    result.unexpected === 0 &&
    result.outOfOrder === 0 &&
    result.wrongContent === 0;
  return result;
}
