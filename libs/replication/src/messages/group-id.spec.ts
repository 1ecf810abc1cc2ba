import { groupColumnsFor, groupId, type GroupingConfig } from './group-id.js';
import type { RawRow } from './raw-row.js';

const TABLE = { schema: 'public', name: 'orders', primaryKey: ['tenant', 'id'] };
const NO_PK = { schema: 'public', name: 'events', primaryKey: [] };
const BY_PK: GroupingConfig = { messageGrouping: true, groupColumnNames: null };

describe('groupId', () => {
  it.each<[string, typeof TABLE, RawRow, GroupingConfig, string | null]>([
    ['primary key', TABLE, { tenant: 'acme', id: '42' }, BY_PK, 'public.orders:acme:42'],
    ['single key', { ...TABLE, primaryKey: ['id'] }, { id: '42' }, BY_PK, 'public.orders:42'],
    ['other schema', { ...TABLE, schema: 'sales' }, { tenant: 'a', id: '1' }, BY_PK, 'sales.orders:a:1'],
    ['grouping off', TABLE, { tenant: 'acme', id: '42' }, { messageGrouping: false, groupColumnNames: null }, null],
    ['no primary key', NO_PK, { a: '1' }, BY_PK, null],
    [
      'no primary key but group columns',
      NO_PK,
      { a: '1' },
      { messageGrouping: true, groupColumnNames: ['a'] },
      'public.events:1',
    ],
    [
      'empty group columns mean the primary key',
      TABLE,
      { tenant: 't', id: '1' },
      { messageGrouping: true, groupColumnNames: [] },
      'public.orders:t:1',
    ],
    [
      'group columns',
      TABLE,
      { tenant: 'acme', id: '42', customer: 'c9' },
      { messageGrouping: true, groupColumnNames: ['customer'] },
      'public.orders:c9',
    ],
    [
      'NULL group value',
      TABLE,
      { customer: null },
      { messageGrouping: true, groupColumnNames: ['customer'] },
      'public.orders:\\N',
    ],
    [
      'empty string group value',
      TABLE,
      { customer: '' },
      { messageGrouping: true, groupColumnNames: ['customer'] },
      'public.orders:',
    ],
    [
      'the text \\N is not NULL',
      TABLE,
      { customer: '\\N' },
      { messageGrouping: true, groupColumnNames: ['customer'] },
      'public.orders:\\\\N',
    ],
    ['colons are escaped', TABLE, { tenant: 'a:b', id: 'c' }, BY_PK, 'public.orders:a\\:b:c'],
    [
      'grouping off wins over group columns',
      TABLE,
      { customer: 'c' },
      { messageGrouping: false, groupColumnNames: ['customer'] },
      null,
    ],
  ])('%s', (_description, table, row, grouping, expected) => {
    expect(groupId(table, row, grouping)).toBe(expected);
  });

  it('never gives two different rows the same group', () => {
    const grouping: GroupingConfig = { messageGrouping: true, groupColumnNames: ['a', 'b'] };
    const rows: RawRow[] = [
      { a: 'x:y', b: 'z' },
      { a: 'x', b: 'y:z' },
      { a: null, b: '' },
      { a: '', b: null },
      { a: '', b: '' },
      { a: null, b: null },
      { a: '\\N', b: null },
      { a: '\\', b: ':' },
      { a: '\\:', b: '' },
    ];
    const ids = rows.map((row) => groupId(NO_PK, row, grouping));
    expect(new Set(ids).size).toBe(rows.length);
  });
});

describe('groupColumnsFor', () => {
  const tables = [
    { name: 'orders', group_column_names: ['customer'] },
    { name: 'sales.orders', group_column_names: ['region'] },
  ];
  it.each<[string, string, readonly string[] | null]>([
    ['public', 'orders', ['customer']],
    ['sales', 'orders', ['region']],
    ['public', 'other', null],
  ])('%s.%s', (schema, table, expected) => {
    expect(groupColumnsFor(tables, schema, table)).toStrictEqual(expected);
  });

  it('handles a sink without tables', () => {
    expect(groupColumnsFor(null, 'public', 'orders')).toBeNull();
  });
});
