import type { DiscoveredTable } from '#core/entities/postgres-database.entity.js';
import type { SinkSource, SinkTableGrouping } from '#core/entities/sink.entity.js';
import type { SinkSourceInputDto, SinkTableDto } from './dto/sink-input.dto.js';
import type { FieldErrors } from '../common/validation/field-errors.js';
import { UNRESTRICTED_SOURCE } from './sink-defaults.js';

type SchemaKey = 'include_schemas' | 'exclude_schemas';
type TableKey = 'include_tables' | 'exclude_tables';

/** `t` means `public.t`; stored and answered qualified. */
export const qualifyTableName = (name: string): string => (name.includes('.') ? name : `public.${name}`);

export const qualifiedName = (table: Pick<DiscoveredTable, 'schema' | 'name'>): string =>
  `${table.schema}.${table.name}`;

export function normalizeSource(input: SinkSourceInputDto | null | undefined): SinkSource {
  if (!input) return { ...UNRESTRICTED_SOURCE };
  return {
    include_schemas: input.include_schemas ?? null,
    exclude_schemas: input.exclude_schemas ?? null,
    include_tables: input.include_tables?.map(qualifyTableName) ?? null,
    exclude_tables: input.exclude_tables?.map(qualifyTableName) ?? null,
  };
}

export function normalizeTables(tables: readonly SinkTableDto[]): SinkTableGrouping[] {
  return tables.map((t) => ({ name: qualifyTableName(t.name), group_column_names: [...t.group_column_names] }));
}

const isRestricted = (source: SinkSource): boolean => Object.values(source).some((value) => value !== null);

/** Every key that is set applies: a table is in scope when it passes all of them. */
export function tableInScope(table: Pick<DiscoveredTable, 'schema' | 'name'>, source: SinkSource): boolean {
  const name = qualifiedName(table);
  return (
    (source.include_schemas === null || source.include_schemas.includes(table.schema)) &&
    (source.exclude_schemas === null || !source.exclude_schemas.includes(table.schema)) &&
    (source.include_tables === null || source.include_tables.includes(name)) &&
    (source.exclude_tables === null || !source.exclude_tables.includes(name))
  );
}

function checkSource(discovered: readonly DiscoveredTable[], source: SinkSource, errors: FieldErrors): boolean {
  const schemas = new Set(discovered.map((t) => t.schema));
  const tables = new Set(discovered.map(qualifiedName));
  let valid = true;
  const fail = (key: keyof SinkSource, reason: string) => {
    errors.add(['source', key], reason);
    valid = false;
  };
  if (source.include_schemas !== null && source.exclude_schemas !== null)
    fail('exclude_schemas', 'cannot be combined with include_schemas');
  if (source.include_tables !== null && source.exclude_tables !== null)
    fail('exclude_tables', 'cannot be combined with include_tables');
  for (const key of ['include_schemas', 'exclude_schemas'] satisfies SchemaKey[]) {
    for (const schema of source[key] ?? [])
      if (!schemas.has(schema)) fail(key, `schema ${schema} has no table in the publication`);
  }
  for (const key of ['include_tables', 'exclude_tables'] satisfies TableKey[]) {
    for (const table of source[key] ?? [])
      if (!tables.has(table)) fail(key, `table ${table} is not in the publication`);
  }
  if (valid && isRestricted(source) && !discovered.some((t) => tableInScope(t, source))) {
    errors.add(['source'], 'matches no table of the publication');
    valid = false;
  }
  return valid;
}

function checkGroupings(
  discovered: readonly DiscoveredTable[],
  source: SinkSource | undefined,
  groupings: readonly SinkTableGrouping[],
  errors: FieldErrors,
): void {
  const byName = new Map(discovered.map((t) => [qualifiedName(t), t]));
  const seen = new Set<string>();
  groupings.forEach((grouping, index) => {
    const at = (field: keyof SinkTableGrouping) => ['tables', String(index), field];
    const table = byName.get(grouping.name);
    if (seen.has(grouping.name)) errors.add(at('name'), `table ${grouping.name} is listed more than once`);
    seen.add(grouping.name);
    if (!table) {
      errors.add(at('name'), `table ${grouping.name} is not in the publication`);
      return;
    }
    if (source && !tableInScope(table, source))
      errors.add(at('name'), `table ${grouping.name} is not in the sink's source`);
    for (const column of grouping.group_column_names) {
      if (!table.columns.some((c) => c.name === column))
        errors.add(at('group_column_names'), `column ${column} not found in ${grouping.name}`);
    }
  });
}

/**
 * Checks a sink's scope against the tables of its database's publication (as last discovered):
 * named schemas and tables exist, a restricted scope keeps at least one table, grouped tables are in
 * scope and their columns exist.
 */
export function checkScope(
  discovered: readonly DiscoveredTable[],
  source: SinkSource,
  groupings: readonly SinkTableGrouping[],
  errors: FieldErrors,
): void {
  const sourceValid = checkSource(discovered, source, errors);
  checkGroupings(discovered, sourceValid ? source : undefined, groupings, errors);
}
