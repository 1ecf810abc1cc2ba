import pg from 'pg';
import type { RawRow } from '../messages/raw-row.js';

/** How a backfill pages its table: keyset order (sort column, then primary key) and an optional start. */
export interface PageShape {
  schema: string;
  table: string;
  columns: readonly string[];
  keyset: readonly string[];
  /** A partial backfill: rows with `startColumn >= startPosition` only. */
  startColumn: string | null;
  /** The publication's row filter for the table (SQL as Postgres prints it): rows it does not send are not read either. */
  rowFilter: string | null;
}

/** The conditions every read of the shape has, apart from the cursor: its start, the row filter. Parameters from `param`. */
export function shapeConditions(shape: PageShape, param: number): string[] {
  const conditions: string[] = [];
  if (shape.startColumn !== null) conditions.push(`${ident(shape.startColumn)} >= $${param}`);
  if (shape.rowFilter !== null) conditions.push(`(${shape.rowFilter})`);
  return conditions;
}

const ident = (name: string): string => pg.escapeIdentifier(name);

/** The keyset: the sort column first (when given), then the primary key columns not already in it. */
export function keysetOf(primaryKey: readonly string[], sortColumn: string | null): string[] {
  return sortColumn === null ? [...primaryKey] : [sortColumn, ...primaryKey.filter((c) => c !== sortColumn)];
}

/**
 * One page in keyset order. Parameters: the cursor's values (when `afterCursor`), then the start
 * position (when the shape has a start column), then the limit. Values go in as text and Postgres
 * casts each to its column's type, so enums, uuids and timestamps page alike.
 */
export function pageSql(shape: PageShape, afterCursor: boolean): string {
  const conditions: string[] = [];
  let param = 1;
  if (afterCursor) {
    const placeholders = shape.keyset.map(() => `$${param++}`);
    conditions.push(`(${shape.keyset.map(ident).join(', ')}) > (${placeholders.join(', ')})`);
  }
  conditions.push(...shapeConditions(shape, param));
  if (shape.startColumn !== null) param++;
  return [
    `SELECT ${shape.columns.map(ident).join(', ')}`,
    `FROM ${ident(shape.schema)}.${ident(shape.table)}`,
    conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '',
    `ORDER BY ${shape.keyset.map(ident).join(', ')}`,
    `LIMIT $${param}`,
  ]
    .filter(Boolean)
    .join(' ');
}

export function pageParams(
  cursor: readonly string[] | null,
  startPosition: string | null,
  limit: number,
): Array<string | number> {
  return [...(cursor ?? []), ...(startPosition === null ? [] : [startPosition]), limit];
}

/** The keyset values of a row, in Postgres' text form: the next page's cursor. */
export function cursorOf(row: RawRow, keyset: readonly string[]): string[] {
  return keyset.map((column) => {
    const value = row[column];
    if (value === null || value === undefined) throw new Error(`Keyset column ${column} is null`);
    return value;
  });
}

/** Every value as Postgres' text form (what pgoutput sends), so reads and changes encode alike. */
export const TEXT_VALUES: pg.CustomTypesConfig = { getTypeParser: () => (value: string) => value };
