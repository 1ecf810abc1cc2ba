import type { DiscoveredTable } from '#core/entities/postgres-database.entity.js';
import type { SinkSource, SinkTableGrouping } from '#core/entities/sink.entity.js';
import { ValidationError } from '#core/errors/api-errors.js';
import { FieldErrors } from '../common/validation/field-errors.js';
import { UNRESTRICTED_SOURCE } from './sink-defaults.js';
import { checkScope, normalizeSource, tableInScope } from './sink-scope.js';

const table = (schema: string, name: string, columns: string[] = ['id']): DiscoveredTable => ({
  schema,
  name,
  primary_key: ['id'],
  columns: columns.map((c) => ({ name: c, type: 'int4' })),
});

const DISCOVERED = [
  table('public', 'orders', ['id', 'customer_id']),
  table('public', 'users'),
  table('billing', 'invoices'),
];

function problems(source: Partial<SinkSource>, groupings: SinkTableGrouping[] = []): unknown {
  const errors = new FieldErrors();
  checkScope(DISCOVERED, { ...UNRESTRICTED_SOURCE, ...source }, groupings, errors);
  return errors.isEmpty ? undefined : errors.toError('sink').validationErrors;
}

describe('sink scope', () => {
  it('qualifies bare table names with public', () => {
    expect(normalizeSource({ include_tables: ['orders', 'billing.invoices'] })).toEqual({
      ...UNRESTRICTED_SOURCE,
      include_tables: ['public.orders', 'billing.invoices'],
    });
    expect(normalizeSource(null)).toEqual(UNRESTRICTED_SOURCE);
  });

  it('applies every key that is set', () => {
    const source = { ...UNRESTRICTED_SOURCE, include_schemas: ['public'], exclude_tables: ['public.users'] };
    expect(DISCOVERED.filter((t) => tableInScope(t, source)).map((t) => t.name)).toEqual(['orders']);
    expect(DISCOVERED.every((t) => tableInScope(t, UNRESTRICTED_SOURCE))).toBe(true);
  });

  it('accepts valid scopes and groupings', () => {
    expect(problems({})).toBeUndefined();
    expect(
      problems({ exclude_schemas: ['billing'] }, [{ name: 'public.orders', group_column_names: ['customer_id'] }]),
    ).toBeUndefined();
  });

  it.each<[string, Partial<SinkSource>, SinkTableGrouping[], unknown]>([
    [
      'include and exclude schemas together',
      { include_schemas: ['public'], exclude_schemas: ['billing'] },
      [],
      { source: { exclude_schemas: [expect.stringContaining('include_schemas')] } },
    ],
    [
      'include and exclude tables together',
      { include_tables: ['public.orders'], exclude_tables: ['public.users'] },
      [],
      { source: { exclude_tables: [expect.any(String)] } },
    ],
    [
      'a missing table',
      { include_tables: ['public.nope'] },
      [],
      { source: { include_tables: [expect.stringContaining('public.nope')] } },
    ],
    [
      'a missing schema',
      { exclude_schemas: ['ghost'] },
      [],
      { source: { exclude_schemas: [expect.stringContaining('ghost')] } },
    ],
    [
      'a scope without tables',
      { include_schemas: ['public'], exclude_tables: ['public.orders', 'public.users'] },
      [],
      { source: [expect.stringContaining('no table')] },
    ],
    [
      'a grouped table missing',
      {},
      [{ name: 'public.nope', group_column_names: ['id'] }],
      { tables: { '0': { name: [expect.stringContaining('public.nope')] } } },
    ],
    [
      'a grouped table out of scope',
      { include_schemas: ['billing'] },
      [{ name: 'public.orders', group_column_names: ['id'] }],
      { tables: { '0': { name: [expect.stringContaining('source')] } } },
    ],
    [
      'a group column missing',
      {},
      [{ name: 'public.orders', group_column_names: ['id', 'nope'] }],
      { tables: { '0': { group_column_names: [expect.stringContaining('nope')] } } },
    ],
  ])('refuses %s', (_case, source, groupings, expected) => {
    expect(problems(source, groupings)).toEqual(expected);
  });

  it('summarises the first problem', () => {
    const errors = new FieldErrors();
    errors.add(['database'], 'not found');
    errors.add(['tables', '0', 'name'], 'x');
    const error = errors.toError('sink');
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.summary).toBe('Invalid sink: database not found');
    expect(error.validationErrors).toEqual({ database: ['not found'], tables: { '0': { name: ['x'] } } });
  });
});
