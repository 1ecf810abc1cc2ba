import type { ChangeBody } from '../messages/change-body.js';

/**
 * For a sink whose tables are grouped by columns other than their key (`group_column_names`): the
 * group each row's undelivered messages are in. A row's messages stay in one group while any of them
 * is undelivered, so
 * - a change whose group columns are not known follows the row's earlier changes: a delete without
 *   REPLICA IDENTITY FULL carries only the key, an update may leave a TOASTed column out. Grouped by
 *   the NULL they came as, a delete could reach a Redis String sink before the row's pending SET,
 *   which would then bring the deleted row back for good;
 * - a row whose group column changes does not overtake its own earlier changes.
 * A row with nothing undelivered takes the group of its values, or, when they are not known, its
 * primary key's. Only messages this session assigned count (by idempotency key): what a previous
 * session parked is not known here. A parked group's rows stay here until delivered.
 */
export class RowGroupAffinity {
  /** Per row: its group, and its undelivered messages by idempotency key (a key can be pushed twice: a backfill page read again). */
  private readonly rows = new Map<string, { group: string; undelivered: Map<string, number> }>();
  /** Idempotency key → its row's key, for the messages assigned and not yet released. */
  private readonly rowOf = new Map<string, string>();

  /** The group of the row's next message; `ofValues` is null when its group columns are not all known. */
  assign(rowKey: string, idempotencyKey: string, ofValues: string | null, ofKey: string): string {
    let row = this.rows.get(rowKey);
    if (row === undefined) this.rows.set(rowKey, (row = { group: ofValues ?? ofKey, undelivered: new Map() }));
    row.undelivered.set(idempotencyKey, (row.undelivered.get(idempotencyKey) ?? 0) + 1);
    this.rowOf.set(idempotencyKey, rowKey);
    return row.group;
  }

  /** One message with this key was delivered, dead-lettered or not pushed after all; other keys are ignored. */
  release(idempotencyKey: string): void {
    const rowKey = this.rowOf.get(idempotencyKey);
    if (rowKey === undefined) return;
    const row = this.rows.get(rowKey)!;
    const left = (row.undelivered.get(idempotencyKey) ?? 1) - 1;
    if (left > 0) {
      row.undelivered.set(idempotencyKey, left);
      return;
    }
    row.undelivered.delete(idempotencyKey);
    this.rowOf.delete(idempotencyKey);
    if (row.undelivered.size === 0) this.rows.delete(rowKey);
  }

  /** Every message with this key was discarded: the row no longer waits for any of them. */
  releaseAll(idempotencyKey: string): void {
    while (this.rowOf.has(idempotencyKey)) this.release(idempotencyKey);
  }
}

export function rowKeyOf(schema: string, table: string, recordPks: readonly string[]): string {
  return `${schema}.${table}\u0000${recordPks.join('\u0000')}`;
}

/** Whether every group column's value is in the change (see RowGroupAffinity). */
export function groupValuesKnown(body: ChangeBody, columns: readonly string[]): boolean {
  for (const column of columns) {
    const value = body.row[column];
    if (value === undefined || (value === null && body.keyOnly)) return false;
  }
  return true;
}
