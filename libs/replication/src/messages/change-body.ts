import type { JsonObject, RowAction } from './message.js';
import type { RawRow } from './raw-row.js';
import { type CompiledTable, emptyObjectFor } from './table-shape.js';

/**
 * One row change as decoded from pgoutput (or read by a backfill):
 * - insert, read: `new`
 * - update: `new`, plus `old` when the table has REPLICA IDENTITY FULL
 * - delete: `old` (REPLICA IDENTITY FULL) or else `key` (key columns only)
 */
export interface RowChange {
  action: RowAction;
  new?: RawRow | null;
  old?: RawRow | null;
  key?: RawRow | null;
}

/** The sink-independent part of a message: built once per change, shared by every sink's envelope. */
export interface ChangeBody {
  readonly table: CompiledTable;
  readonly action: RowAction;
  readonly record: JsonObject;
  readonly changes: JsonObject | null;
  /** Primary key values in Postgres' text form, in primary key order. */
  readonly recordPks: string[];
  readonly unchangedToastColumns: string[] | null;
  /**
   * Primary key columns the change came without (null: none). A delete under REPLICA IDENTITY USING
   * INDEX carries the index's columns, and a publication's column list may leave the key out: the
   * row cannot then be named (its record_pks hold '' there).
   */
  readonly primaryKeyMissing: string[] | null;
  /** The raw row the record was built from; group ids are computed from it. */
  readonly row: RawRow;
  /**
   * `row` is a delete's replica identity key only (no REPLICA IDENTITY FULL): its other columns came
   * as NULL without being NULL.
   */
  readonly keyOnly: boolean;
}

const EMPTY_ROW: RawRow = Object.freeze({});

export function buildChangeBody(table: CompiledTable, change: RowChange): ChangeBody {
  switch (change.action) {
    case 'insert':
    case 'read':
      return bodyOf(table, change.action, required(change.new, change.action), null);
    case 'update':
      return updateBody(table, required(change.new, 'update'), change.old ?? null);
    case 'delete':
      return deleteBody(table, change.old ?? null, change.key ?? null);
  }
}

function updateBody(table: CompiledTable, newRow: RawRow, oldRow: RawRow | null): ChangeBody {
  const changes: JsonObject = emptyObjectFor(table);
  if (oldRow !== null) {
    for (const column of table.columns) {
      const oldText = oldRow[column.name];
      const newText = newRow[column.name];
      if (oldText !== undefined && newText !== undefined && oldText !== newText) {
        changes[column.name] = column.encode(oldText);
      }
    }
  }
  return bodyOf(table, 'update', newRow, changes, oldRow);
}

function deleteBody(table: CompiledTable, oldRow: RawRow | null, keyRow: RawRow | null): ChangeBody {
  if (oldRow !== null) return bodyOf(table, 'delete', oldRow, null);
  const row = keyRow ?? EMPTY_ROW;
  const recordPks = pkTexts(table, row);
  const record: JsonObject = emptyObjectFor(table);
  for (const column of table.columns) {
    const text = row[column.name];
    record[column.name] = text === undefined ? null : column.encode(text);
  }
  return {
    table,
    action: 'delete',
    record,
    changes: null,
    recordPks,
    unchangedToastColumns: null,
    primaryKeyMissing: missingPk(table, row, recordPks),
    row,
    keyOnly: true,
  };
}

/** `fallback` fills in unchanged TOAST values when pgoutput sent 'u' and the old row is known. */
function bodyOf(
  table: CompiledTable,
  action: RowAction,
  row: RawRow,
  changes: JsonObject | null,
  fallback: RawRow | null = null,
): ChangeBody {
  const record: JsonObject = emptyObjectFor(table);
  let unchangedToastColumns: string[] | null = null;
  for (const column of table.columns) {
    let text = row[column.name];
    if (text === undefined && fallback !== null) text = fallback[column.name];
    if (text === undefined) {
      (unchangedToastColumns ??= []).push(column.name);
      continue;
    }
    record[column.name] = column.encode(text);
  }
  const recordPks = pkTexts(table, row);
  return {
    table,
    action,
    record,
    changes,
    recordPks,
    unchangedToastColumns,
    primaryKeyMissing: missingPk(table, row, recordPks),
    row,
    keyOnly: false,
  };
}

function pkTexts(table: CompiledTable, row: RawRow): string[] {
  const pks = new Array<string>(table.primaryKey.length);
  for (let i = 0; i < pks.length; i++) pks[i] = row[table.primaryKey[i]!] ?? '';
  return pks;
}

/**
 * A primary key value is never NULL: null or absent means the change did not carry the column. Its
 * text is '' then (pkTexts), so a key without an empty text needs no second look.
 */
function missingPk(table: CompiledTable, row: RawRow, pkTexts: readonly string[]): string[] | null {
  if (!pkTexts.includes('')) return null;
  let missing: string[] | null = null;
  for (const column of table.primaryKey) if (row[column] == null) (missing ??= []).push(column);
  return missing;
}

function required(row: RawRow | null | undefined, action: RowAction): RawRow {
  if (row === null || row === undefined) throw new Error(`A ${action} change needs its new row`);
  return row;
}
