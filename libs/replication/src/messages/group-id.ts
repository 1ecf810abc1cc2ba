import type { SinkTableGrouping } from '#core/entities/sink.entity.js';
import { qualifyTableName } from '../routing/sink-scope.js';
import type { RawRow } from './raw-row.js';

export interface GroupedTable {
  readonly schema: string;
  readonly name: string;
  readonly primaryKey: readonly string[];
}

export interface GroupingConfig {
  readonly messageGrouping: boolean;
  /** The sink's `tables[].group_column_names` for this table, or null for the primary key. */
  readonly groupColumnNames: readonly string[] | null;
}

/**
 * `"<schema>.<table>:" + values joined with ":"`, or null when the messages of this table may go in any
 * order (message_grouping false, or no primary key and no group columns). Values are Postgres' text
 * form; `\` and `:` inside a value are escaped and NULL is `\N`, so different rows never share a group
 * by accident while ordinary keys (`public.orders:42`) read as they are.
 */
export function groupId(table: GroupedTable, row: RawRow, grouping: GroupingConfig): string | null {
  if (!grouping.messageGrouping) return null;
  const columns =
    grouping.groupColumnNames !== null && grouping.groupColumnNames.length > 0
      ? grouping.groupColumnNames
      : table.primaryKey;
  if (columns.length === 0) return null;
  let id = `${table.schema}.${table.name}`;
  for (const column of columns) id += `:${groupValue(row[column])}`;
  return id;
}

/** Finds a table's group columns in a sink's `tables` list (`name` is `schema.table`, or `table` for public). */
export function groupColumnsFor(
  tables: readonly SinkTableGrouping[] | null | undefined,
  schema: string,
  table: string,
): readonly string[] | null {
  if (!tables) return null;
  const qualified = `${schema}.${table}`;
  return tables.find((entry) => qualifyTableName(entry.name) === qualified)?.group_column_names ?? null;
}

const NEEDS_ESCAPE = /[\\:]/;

function groupValue(text: string | null | undefined): string {
  if (text === null || text === undefined) return '\\N';
  return NEEDS_ESCAPE.test(text) ? text.replace(/[\\:]/g, '\\$&') : text;
}
