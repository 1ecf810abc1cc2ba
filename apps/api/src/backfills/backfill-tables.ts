import type { DeepPartial } from 'typeorm';
import type { Backfill } from '#core/entities/backfill.entity.js';
import type { DiscoveredTable } from '#core/entities/postgres-database.entity.js';
import type { SinkSource } from '#core/entities/sink.entity.js';
import type { FieldErrors } from '../common/validation/field-errors.js';
import { qualifiedName, qualifyTableName, tableInScope } from '../sinks/sink-scope.js';

/** At most this many table names in one reason; the rest are counted. */
const LISTED_TABLES = 10;

function listNames(names: readonly string[]): string {
  const listed = names.slice(0, LISTED_TABLES).join(', ');
  return names.length > LISTED_TABLES ? `${listed} and ${names.length - LISTED_TABLES} more` : listed;
}

/** The tables of the publication (as last discovered) the sink reads. */
export const tablesInScope = (discovered: readonly DiscoveredTable[], source: SinkSource): DiscoveredTable[] =>
  discovered.filter((table) => tableInScope(table, source));

export const noPrimaryKeyReason = (table: DiscoveredTable): string =>
  `table ${qualifiedName(table)} has no primary key, so it cannot be paged; add one`;

/**
 * The table a backfill reads: the one requested (in the publication and in the sink's source), or,
 * when none is, the sink's only table. It must have a primary key: pages follow it. Otherwise the
 * reason goes to `errors` under `table` and the result is undefined.
 */
export function resolveBackfillTable(
  discovered: readonly DiscoveredTable[],
  source: SinkSource,
  requested: string | null | undefined,
  errors: FieldErrors,
): DiscoveredTable | undefined {
  let table: DiscoveredTable | undefined;
  if (requested === undefined || requested === null) {
    const inScope = tablesInScope(discovered, source);
    if (inScope.length === 1) table = inScope[0];
    else if (inScope.length === 0) errors.add(['table'], 'is required: the sink reads no table of the publication');
    else {
      const names = listNames(inScope.map(qualifiedName));
      errors.add(['table'], `is required: the sink reads ${inScope.length} tables (${names})`);
    }
  } else {
    const name = qualifyTableName(requested);
    table = discovered.find((candidate) => qualifiedName(candidate) === name);
    if (!table) errors.add(['table'], `table ${name} is not in the publication`);
    else if (!tableInScope(table, source)) {
      errors.add(['table'], `table ${name} is not in the sink's source`);
      table = undefined;
    }
  }
  if (table && table.primary_key.length === 0) {
    errors.add(['table'], noPrimaryKeyReason(table));
    return undefined;
  }
  return table;
}

/** Where a partial backfill starts: both set, or neither. */
export interface BackfillStart {
  sortColumn: string | null;
  startPosition: string | null;
}

/** Checks `sort_column` (a column of the table) and `start_position`, which go together. */
export function resolveBackfillStart(
  table: DiscoveredTable,
  request: { sort_column?: string | null; start_position?: string | number | null },
  errors: FieldErrors,
): BackfillStart {
  const sortColumn = request.sort_column ?? null;
  const startPosition =
    request.start_position === undefined || request.start_position === null ? null : String(request.start_position);
  if (sortColumn !== null && !table.columns.some((column) => column.name === sortColumn))
    errors.add(['sort_column'], `column ${sortColumn} not found in ${qualifiedName(table)}`);
  if (sortColumn !== null && startPosition === null) errors.add(['start_position'], 'is required with sort_column');
  if (sortColumn === null && startPosition !== null) errors.add(['sort_column'], 'is required with start_position');
  return { sortColumn, startPosition };
}

/**
 * The tables an initial backfill reads: every table in the sink's scope. Each needs a primary key;
 * the ones without are named under `initial_backfill`.
 */
export function planInitialBackfills(
  discovered: readonly DiscoveredTable[],
  source: SinkSource,
  errors: FieldErrors,
): DiscoveredTable[] {
  const tables = tablesInScope(discovered, source);
  const keyless = tables.filter((table) => table.primary_key.length === 0).map(qualifiedName);
  if (keyless.length === 1)
    errors.add(
      ['initial_backfill'],
      `table ${keyless[0]} has no primary key, so it cannot be paged; add one or leave the table out of the sink's source`,
    );
  if (keyless.length > 1)
    errors.add(
      ['initial_backfill'],
      `tables ${listNames(keyless)} have no primary key, so they cannot be paged; add one to each or leave them out of the sink's source`,
    );
  return tables;
}

/** The fields of a new backfill: active, from the start (or `start`), nothing read yet. */
export function newBackfill(
  sinkId: string,
  table: DiscoveredTable,
  start: BackfillStart = { sortColumn: null, startPosition: null },
): DeepPartial<Backfill> {
  return {
    sinkId,
    tableSchema: table.schema,
    tableName: table.name,
    state: 'active',
    sortColumn: start.sortColumn,
    startPosition: start.startPosition,
    cursor: null,
    rowsInitialCount: null,
    rowsProcessedCount: '0',
    rowsIngestedCount: '0',
    error: null,
    completedAt: null,
    canceledAt: null,
  };
}
