import type { SourceDatabase } from '#testing/databases.js';
import { startTestApi, type TestApi } from '#testing/test-api.js';
import { type CreateSinkBody, createSinkSource, newTenant, redisStream } from './sinks.test-support.js';

type Tenant = Awaited<ReturnType<typeof newTenant>>;

/** [what, body fields over a valid redis_stream sink, path in validation_errors, exact reason when it matters] */
type Case = [string, Record<string, unknown>, string[], string?];

const STREAM = { type: 'redis_stream', host: 'localhost', stream_key: 'changes' };
const STRING = { type: 'redis_string', host: 'localhost' };
const stream = (fields: Record<string, unknown>) => ({ destination: { ...STREAM, ...fields } });
const string = (fields: Record<string, unknown>) => ({ destination: { ...STRING, ...fields } });

const CASES: Case[] = [
  ['an invalid name', { name: 'has space' }, ['name']],
  ['a UUID as name', { name: '6f1c8d6e-8a43-4c1f-9d55-0f3b7a7f1e2a' }, ['name']],
  ['a missing name', { name: undefined }, ['name']],
  ['an unknown database name', { database: 'nope' }, ['database'], 'not found'],
  ['an unknown database id', { database: '6f1c8d6e-8a43-4c1f-9d55-0f3b7a7f1e2a' }, ['database'], 'not found'],
  ['a database that is not a string', { database: 5 }, ['database']],
  ['a missing destination', { destination: undefined }, ['destination']],
  ['a destination that is not an object', { destination: 'redis' }, ['destination']],
  ['an unknown destination type', { destination: { type: 'kafka', host: 'x' } }, ['destination', 'type']],
  ['a destination without type', { destination: { host: 'x' } }, ['destination', 'type']],
  ['an unknown field inside destination', stream({ hots: 'x' }), ['destination', 'hots'], 'unknown field'],
  ['a field of another destination type', stream({ expire_ms: 10 }), ['destination', 'expire_ms'], 'unknown field'],
  [
    'a field on sequin_stream',
    { destination: { type: 'sequin_stream', host: 'x' } },
    ['destination', 'host'],
    'unknown field',
  ],
  ['a missing host', { destination: { type: 'redis_stream', stream_key: 'k' } }, ['destination', 'host']],
  ['port 0', stream({ port: 0 }), ['destination', 'port']],
  ['port as a string', stream({ port: '6379' }), ['destination', 'port']],
  ['port null', stream({ port: null }), ['destination', 'port']],
  ['an empty stream_key', stream({ stream_key: '' }), ['destination', 'stream_key']],
  ['a 256-character stream_key', stream({ stream_key: 'k'.repeat(256) }), ['destination', 'stream_key']],
  ['a missing stream_key', { destination: { type: 'redis_stream', host: 'x' } }, ['destination', 'stream_key']],
  ['a negative Redis database', stream({ database: -1 }), ['destination', 'database']],
  ['a fractional Redis database', stream({ database: 1.5 }), ['destination', 'database']],
  ['tls as a string', stream({ tls: 'yes' }), ['destination', 'tls']],
  ['max_len 0', stream({ max_len: 0 }), ['destination', 'max_len']],
  ['an unknown stream_id_mode', stream({ stream_id_mode: 'time' }), ['destination', 'stream_id_mode']],
  ['a password that is not a string', stream({ password: 42 }), ['destination', 'password']],
  ['expire_ms 0', string({ expire_ms: 0 }), ['destination', 'expire_ms']],
  ['an unknown key_format', string({ key_format: 'short' }), ['destination', 'key_format']],
  ['an unknown value', string({ value: 'row' }), ['destination', 'value']],
  ['a NUL character', stream({ host: 'local\u0000host' }), ['destination', 'host'], 'must not contain NUL characters'],
  ['an unknown top-level field', { colour: 'blue' }, ['colour'], 'unknown field'],
  ['an unknown status', { status: 'running' }, ['status']],
  ['a source that is not an object', { source: 'public' }, ['source']],
  ['an unknown source field', { source: { include: ['public'] } }, ['source', 'include'], 'unknown field'],
  [
    'include and exclude schemas together',
    { source: { include_schemas: ['public'], exclude_schemas: ['billing'] } },
    ['source', 'exclude_schemas'],
  ],
  [
    'include and exclude tables together',
    { source: { include_tables: ['orders'], exclude_tables: ['users'] } },
    ['source', 'exclude_tables'],
  ],
  [
    'a missing table in source',
    { source: { include_tables: ['nope'] } },
    ['source', 'include_tables'],
    'table public.nope is not in the publication',
  ],
  [
    'a missing schema in source',
    { source: { exclude_schemas: ['ghost'] } },
    ['source', 'exclude_schemas'],
    'schema ghost has no table in the publication',
  ],
  [
    'a source with no table',
    { source: { include_schemas: ['billing'], exclude_tables: ['billing.invoices'] } },
    ['source'],
    'matches no table of the publication',
  ],
  ['tables that is not a list', { tables: { name: 'orders' } }, ['tables']],
  ['a table entry that is not an object', { tables: ['orders'] }, ['tables']],
  [
    'a missing grouped table',
    { tables: [{ name: 'nope', group_column_names: ['id'] }] },
    ['tables', '0', 'name'],
    'table public.nope is not in the publication',
  ],
  [
    'a grouped table out of scope',
    { source: { include_schemas: ['billing'] }, tables: [{ name: 'orders', group_column_names: ['id'] }] },
    ['tables', '0', 'name'],
  ],
  [
    'a missing group column',
    { tables: [{ name: 'orders', group_column_names: ['nope'] }] },
    ['tables', '0', 'group_column_names'],
    'column nope not found in public.orders',
  ],
  [
    'empty group_column_names',
    { tables: [{ name: 'orders', group_column_names: [] }] },
    ['tables', '0', 'group_column_names'],
  ],
  ['an unknown action', { actions: ['upsert'] }, ['actions']],
  ['no actions', { actions: [] }, ['actions']],
  ['actions as a string', { actions: 'insert' }, ['actions']],
  ['duplicate actions', { actions: ['insert', 'insert'] }, ['actions'], 'must not contain duplicates'],
  ['message_grouping as a string', { message_grouping: 'true' }, ['message_grouping']],
  ['batch_size 0', { batch_size: 0 }, ['batch_size']],
  ['batch_size 1001', { batch_size: 1001 }, ['batch_size']],
  ['batch_size "5"', { batch_size: '5' }, ['batch_size']],
  ['batch_size 1.5', { batch_size: 1.5 }, ['batch_size']],
  ['batch_size null', { batch_size: null }, ['batch_size']],
  ['max_ack_pending 0', { max_ack_pending: 0 }, ['max_ack_pending']],
  ['max_ack_pending beyond an integer column', { max_ack_pending: 2 ** 31 }, ['max_ack_pending']],
  ['max_retry_count 0', { max_retry_count: 0 }, ['max_retry_count']],
  ['max_retry_count as a string', { max_retry_count: '3' }, ['max_retry_count']],
  ['ack_wait_ms 499', { ack_wait_ms: 499 }, ['ack_wait_ms']],
  ['max_waiting 0', { max_waiting: 0 }, ['max_waiting']],
  ['annotations as a list', { annotations: ['a'] }, ['annotations']],
  ['annotations as a string', { annotations: 'a' }, ['annotations']],
  ['initial_backfill as a string', { initial_backfill: 'yes' }, ['initial_backfill']],
  ['a filter', { filter: 'only_big_orders' }, ['filter'], 'function not found'],
  ['a transform', { transform: 'slim' }, ['transform'], 'function not found'],
  ['a routing', { routing: 'by_region' }, ['routing'], 'function not found'],
  ['a filter that is not a string', { filter: 5 }, ['filter']],
];

function at(errors: unknown, path: string[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], errors);
}

describe('sink validation', () => {
  let api: TestApi;
  let source: SourceDatabase;
  let tenant: Tenant;

  beforeAll(async () => {
    api = await startTestApi();
    source = await createSinkSource();
    tenant = await newTenant(api, source);
  });
  afterAll(async () => {
    await api?.close();
    await source?.drop();
  });

  // Objects, not tuples: a row shorter than the callback's arity would make jest pass `done`.
  const rows = CASES.map(([what, fields, path, reason]) => ({ what, fields, path, reason }));

  it.each(rows)('refuses $what with 422 naming the field, and writes nothing', async ({ fields, path, reason }) => {
    const body = { ...redisStream(), ...fields } as CreateSinkBody;
    const { response, error } = await tenant.client.POST('/api/sinks', { body });
    expect(response.status).toBe(422);
    expect(error?.summary).toEqual(expect.any(String));
    const found = at(error?.validation_errors, path);
    if (reason === undefined) expect(found).toBeDefined();
    else expect(found).toEqual(expect.arrayContaining([reason]));
    expect((await tenant.client.GET('/api/sinks')).data).toEqual({ data: [] });
  });

  it('names an unknown field in the summary, nested ones with their path', async () => {
    const top = await tenant.client.POST('/api/sinks', {
      body: { ...redisStream(), colour: 'blue' } as CreateSinkBody,
    });
    expect(top.error).toEqual({ summary: 'Unknown field: colour', validation_errors: { colour: ['unknown field'] } });
    const nested = await tenant.client.POST('/api/sinks', {
      body: { ...redisStream(), ...stream({ hots: 'x' }) } as CreateSinkBody,
    });
    expect(nested.error).toEqual({
      summary: 'Unknown field: destination.hots',
      validation_errors: { destination: { hots: ['unknown field'] } },
    });
  });

  it('reports every semantic problem of a request at once', async () => {
    const body = { ...redisStream(), database: 'nope', transform: 't', filter: 'f' } as CreateSinkBody;
    const { response, error } = await tenant.client.POST('/api/sinks', { body });
    expect(response.status).toBe(422);
    expect(error).toEqual({
      summary: 'Invalid sink: database not found',
      validation_errors: {
        database: ['not found'],
        filter: ['function not found'],
        transform: ['function not found'],
      },
    });
  });
});
