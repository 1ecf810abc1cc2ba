import { waitFor } from '#testing/databases.js';
import { type EngineStack, readStream } from '#testing/engine.js';

/** A Redis Stream entry of a sink, its fields parsed. */
export interface Entry {
  id: string;
  /** `schema.table` */
  table: string;
  action: string;
  record: Record<string, unknown>;
  changes: unknown;
  metadata: { commit_lsn: number; commit_idx: number; idempotency_key: string; record_pks: string[] };
}

export async function entries(stack: EngineStack, key: string): Promise<Entry[]> {
  return (await readStream(stack.sinkRedis, key)).map(({ id, fields }) => {
    const metadata = JSON.parse(fields.metadata!);
    return {
      id,
      table: `${metadata.table_schema}.${metadata.table_name}`,
      action: fields.action!,
      record: JSON.parse(fields.record!),
      changes: JSON.parse(fields.changes!),
      metadata,
    };
  });
}

/** `schema.table action id` of each entry (`-` for a truncate, which has no record). */
export const summary = (list: Entry[]): string[] =>
  list.map((e) => `${e.table} ${e.action} ${e.record.id === undefined ? '-' : String(e.record.id)}`);

/**
 * The entries once the stream holds `length` of them. On a shortfall it returns what is there after
 * the deadline, so the caller's assertion shows the difference.
 */
export async function entriesWhenLength(stack: EngineStack, key: string, length: number): Promise<Entry[]> {
  await waitFor(async () => (await stack.sinkRedis.xlen(key)) >= length, { timeoutMs: 15_000 }).catch(() => undefined);
  return entries(stack, key);
}
