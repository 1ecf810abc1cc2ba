import type { ChangeBody } from '../messages/change-body.js';
import type { Message } from '../messages/message.js';

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
 * primary key's. What a previous session parked is not known here.
 */
export class RowGroupAffinity {
  private readonly rows = new Map<string, { group: string; undelivered: number }>();

  /** The group of the row's next message; `ofValues` is null when its group columns are not all known. */
  assign(rowKey: string, ofValues: string | null, ofKey: string): string {
    const row = this.rows.get(rowKey);
    if (row !== undefined) {
      row.undelivered++;
      return row.group;
    }
    const group = ofValues ?? ofKey;
    this.rows.set(rowKey, { group, undelivered: 1 });
    return group;
  }

  /** A message of the row was delivered, dead-lettered or discarded. */
  release(message: Message): void {
    const key = rowKeyOf(message.metadata.table_schema, message.metadata.table_name, message.metadata.record_pks);
    const row = this.rows.get(key);
    if (row !== undefined && --row.undelivered === 0) this.rows.delete(key);
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
