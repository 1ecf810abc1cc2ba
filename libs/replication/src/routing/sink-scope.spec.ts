import type { SinkAction, SinkSource } from '#core/entities/sink.entity.js';
import type { MessageAction } from '../messages/message.js';
import { compileSinkScope, qualifyTableName, sinkMatches, type SinkScope } from './sink-scope.js';

const ALL: SinkSource = { include_schemas: null, exclude_schemas: null, include_tables: null, exclude_tables: null };
const DEFAULT_ACTIONS: SinkAction[] = ['insert', 'update', 'delete'];

function scope(source: Partial<SinkSource> | null, actions: SinkAction[] = DEFAULT_ACTIONS): SinkScope {
  return { source: source === null ? null : { ...ALL, ...source }, actions };
}

describe('sinkMatches', () => {
  it.each<[string, SinkScope, string, string, MessageAction, boolean]>([
    ['everything', scope(null), 'public', 'orders', 'insert', true],
    ['all-null source', scope({}), 'sales', 'orders', 'update', true],
    ['action not chosen', scope(null), 'public', 'orders', 'truncate', false],
    ['truncate when chosen', scope(null, ['truncate']), 'public', 'orders', 'truncate', true],
    ['insert not chosen', scope(null, ['update']), 'public', 'orders', 'insert', false],
    ['read always passes', scope(null, ['insert']), 'public', 'orders', 'read', true],
    ['read with no actions at all', scope(null, []), 'public', 'orders', 'read', true],
    [
      'read still needs the table in scope',
      scope({ include_tables: ['users'] }, []),
      'public',
      'orders',
      'read',
      false,
    ],
    ['include schema hit', scope({ include_schemas: ['sales'] }), 'sales', 'orders', 'insert', true],
    ['include schema miss', scope({ include_schemas: ['sales'] }), 'public', 'orders', 'insert', false],
    ['exclude schema hit', scope({ exclude_schemas: ['audit'] }), 'audit', 'log', 'insert', false],
    ['exclude schema miss', scope({ exclude_schemas: ['audit'] }), 'public', 'log', 'insert', true],
    ['include bare table means public', scope({ include_tables: ['orders'] }), 'public', 'orders', 'insert', true],
    ['include bare table not other schemas', scope({ include_tables: ['orders'] }), 'sales', 'orders', 'insert', false],
    ['include qualified table', scope({ include_tables: ['sales.orders'] }), 'sales', 'orders', 'delete', true],
    [
      'include qualified table, other table',
      scope({ include_tables: ['sales.orders'] }),
      'sales',
      'items',
      'delete',
      false,
    ],
    ['exclude bare table', scope({ exclude_tables: ['orders'] }), 'public', 'orders', 'insert', false],
    [
      'exclude bare table, other schema passes',
      scope({ exclude_tables: ['orders'] }),
      'sales',
      'orders',
      'insert',
      true,
    ],
    ['exclude qualified table', scope({ exclude_tables: ['sales.orders'] }), 'sales', 'orders', 'insert', false],
    [
      'schema and table filters combine',
      scope({ include_schemas: ['sales'], include_tables: ['public.orders'] }),
      'public',
      'orders',
      'insert',
      false,
    ],
    [
      'include schema, exclude a table in it',
      scope({ include_schemas: ['sales'], exclude_tables: ['sales.secret'] }),
      'sales',
      'secret',
      'insert',
      false,
    ],
    [
      'include schema, other table of it',
      scope({ include_schemas: ['sales'], exclude_tables: ['sales.secret'] }),
      'sales',
      'orders',
      'insert',
      true,
    ],
    ['empty include list is no filter', scope({ include_tables: [] }), 'public', 'orders', 'insert', true],
    ['names are case-sensitive', scope({ include_tables: ['Orders'] }), 'public', 'orders', 'insert', false],
  ])('%s', (_description, sinkScope, schema, table, action, expected) => {
    expect(sinkMatches(sinkScope, schema, table, action)).toBe(expected);
    expect(compileSinkScope(sinkScope)(schema, table, action)).toBe(expected);
  });

  it.each([
    ['t', 'public.t'],
    ['s.t', 's.t'],
  ])('qualifies %s as %s', (name, qualified) => {
    expect(qualifyTableName(name)).toBe(qualified);
  });
});
