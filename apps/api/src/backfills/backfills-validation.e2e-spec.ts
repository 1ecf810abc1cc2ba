import type { SourceDatabase } from '#testing/databases.js';
import { startTestApi, type TestApi } from '#testing/test-api.js';
import { newTenant } from '../sinks/sinks.test-support.js';
import { type CreateBackfillBody, createBackfillSource, createSink, sinkPath } from './backfills.test-support.js';

type Tenant = Awaited<ReturnType<typeof newTenant>>;

/** [what, sink scope, body, validation_errors expected exactly] */
type Case = [string, 'all' | 'orders' | 'keyless', Record<string, unknown>, Record<string, unknown>];

const NO_KEY = 'table public.keyless has no primary key, so it cannot be paged; add one';
const reason = (text: string | RegExp) => [typeof text === 'string' ? text : expect.stringMatching(text)];

const CASES: Case[] = [
  [
    'no table when the sink reads several',
    'all',
    {},
    {
      table: reason(
        'is required: the sink reads 4 tables (billing.invoices, public.keyless, public.orders, public.users)',
      ),
    },
  ],
  [
    'a table not in the publication',
    'all',
    { table: 'nope' },
    { table: reason('table public.nope is not in the publication') },
  ],
  [
    'a table in another schema',
    'all',
    { table: 'billing.orders' },
    { table: reason('table billing.orders is not in the publication') },
  ],
  [
    'a table out of the sink’s source',
    'orders',
    { table: 'users' },
    { table: reason("table public.users is not in the sink's source") },
  ],
  ['a table without primary key', 'all', { table: 'keyless' }, { table: reason(NO_KEY) }],
  ['the only table, without primary key', 'keyless', {}, { table: reason(NO_KEY) }],
  [
    'an unknown sort_column',
    'all',
    { table: 'orders', sort_column: 'nope', start_position: '1' },
    { sort_column: reason('column nope not found in public.orders') },
  ],
  [
    'sort_column without start_position',
    'all',
    { table: 'orders', sort_column: 'id' },
    { start_position: reason('is required with sort_column') },
  ],
  [
    'start_position without sort_column',
    'all',
    { table: 'orders', start_position: 5 },
    { sort_column: reason('is required with start_position') },
  ],
  [
    'a start_position the column type refuses',
    'orders',
    { sort_column: 'placed_at', start_position: 'yesterday-ish' },
    { start_position: reason(/^is not a valid timestamp with time zone for placed_at: invalid input syntax/) },
  ],
  [
    'a start_position out of the column’s range',
    'orders',
    { sort_column: 'id', start_position: '99999999999' },
    { start_position: reason(/^is not a valid integer for id: .*out of range/) },
  ],
  ['a NUL character', 'all', { table: 'ord\u0000ers' }, { table: reason('must not contain NUL characters') }],
  ['an unknown field', 'orders', { colour: 'blue' }, { colour: ['unknown field'] }],
  ['a table that is not a string', 'all', { table: 5 }, { table: [expect.any(String)] }],
  ['an empty table', 'all', { table: '' }, { table: [expect.any(String)] }],
  [
    'a sort_column that is not a string',
    'orders',
    { sort_column: ['id'], start_position: '1' },
    { sort_column: [expect.any(String)] },
  ],
  [
    'a start_position that is an object',
    'orders',
    { sort_column: 'id', start_position: { at: 1 } },
    { start_position: [expect.any(String)] },
  ],
  [
    'a start_position that is a boolean',
    'orders',
    { sort_column: 'id', start_position: true },
    { start_position: [expect.any(String)] },
  ],
  [
    'an empty start_position',
    'orders',
    { sort_column: 'id', start_position: '' },
    { start_position: [expect.any(String)] },
  ],
];

describe('backfill validation', () => {
  let api: TestApi;
  let source: SourceDatabase;
  let tenant: Tenant;
  const sinks: Record<Case[1], string> = { all: '', orders: '', keyless: '' };

  beforeAll(async () => {
    api = await startTestApi();
    source = await createBackfillSource();
    tenant = await newTenant(api, source);
    sinks.all = (await createSink(tenant.client)).name;
    sinks.orders = (await createSink(tenant.client, { source: { include_tables: ['orders'] } })).name;
    sinks.keyless = (await createSink(tenant.client, { source: { include_tables: ['keyless'] } })).name;
  });
  afterAll(async () => {
    await api?.close();
    await source?.drop();
  });

  // Objects, not tuples: a row shorter than the callback's arity would make jest pass `done`.
  const rows = CASES.map(([what, sink, body, errors]) => ({ what, sink, body, errors }));

  it.each(rows)('refuses $what with 422 naming the field, and starts nothing', async ({ sink, body, errors }) => {
    const { response, error } = await tenant.client.POST('/api/sinks/{sink_id_or_name}/backfills', {
      ...sinkPath(sinks[sink]),
      body: body as CreateBackfillBody,
    });
    expect(response.status).toBe(422);
    expect(error).toEqual({ summary: expect.any(String), validation_errors: errors });
    const list = await tenant.client.GET('/api/sinks/{sink_id_or_name}/backfills', sinkPath(sinks[sink]));
    expect(list.data).toEqual({ data: [] });
  });

  it('names an unknown field in the summary', async () => {
    const { error } = await tenant.client.POST('/api/sinks/{sink_id_or_name}/backfills', {
      ...sinkPath(sinks.orders),
      body: { colour: 'blue' } as CreateBackfillBody,
    });
    expect(error).toEqual({ summary: 'Unknown field: colour', validation_errors: { colour: ['unknown field'] } });
  });

  it('names the missing half of a partial backfill in the summary', async () => {
    const { error } = await tenant.client.POST('/api/sinks/{sink_id_or_name}/backfills', {
      ...sinkPath(sinks.orders),
      body: { sort_column: 'placed_at' },
    });
    expect(error?.summary).toBe('Invalid backfill: start_position is required with sort_column');
  });

  it.each([
    { what: 'an unknown state', body: { state: 'running' } },
    { what: 'a state that is not a string', body: { state: 5 } },
    { what: 'no state', body: {} },
    { what: 'an unknown field', body: { state: 'paused', colour: 'blue' } },
  ])('refuses a state change with $what', async ({ body }) => {
    const { data: sink } = await tenant.client.GET('/api/sinks/{id_or_name}', {
      params: { path: { id_or_name: sinks.orders } },
    });
    const started = await tenant.client.POST('/api/sinks/{sink_id_or_name}/backfills', {
      ...sinkPath(sink!.id),
      body: {},
    });
    const path = { params: { path: { sink_id_or_name: sink!.id, id: started.data!.id } } };
    const patched = await tenant.client.PATCH('/api/sinks/{sink_id_or_name}/backfills/{id}', {
      ...path,
      body: body as { state: 'paused' },
    });
    expect(patched.response.status).toBe(422);
    expect(Object.keys(patched.error?.validation_errors ?? {})).toEqual('colour' in body ? ['colour'] : ['state']);
    const after = await tenant.client.GET('/api/sinks/{sink_id_or_name}/backfills/{id}', path);
    expect(after.data?.state).toBe('active');
    await tenant.client.PATCH('/api/sinks/{sink_id_or_name}/backfills/{id}', { ...path, body: { state: 'cancelled' } });
  });
});
