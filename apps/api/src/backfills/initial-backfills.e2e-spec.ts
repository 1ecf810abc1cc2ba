import type { SourceDatabase } from '#testing/databases.js';
import { startTestApi, type TestApi } from '#testing/test-api.js';
import { type CreateSinkBody, newTenant, queryMetadata, redisStream } from '../sinks/sinks.test-support.js';
import { createBackfillSource, sinkPath } from './backfills.test-support.js';

type Tenant = Awaited<ReturnType<typeof newTenant>>;

describe('initial_backfill on sink create', () => {
  let api: TestApi;
  let source: SourceDatabase;
  let tenant: Tenant;

  const countRows = async (table: 'sinks' | 'backfills') =>
    Number((await queryMetadata<{ n: string }>(api, `SELECT count(*) AS n FROM ${table}`))[0]!.n);

  beforeAll(async () => {
    api = await startTestApi();
    source = await createBackfillSource();
    tenant = await newTenant(api, source);
  });
  afterAll(async () => {
    await api?.close();
    await source?.drop();
  });

  it('starts one active backfill per table in scope, shown in active_backfills', async () => {
    const body = redisStream({ initial_backfill: true, source: { exclude_tables: ['keyless', 'users'] } });
    const { response, data: sink } = await tenant.client.POST('/api/sinks', { body });
    expect(response.status).toBe(201);
    expect(sink?.initial_backfill).toBe(true);
    const expected = ['billing.invoices', 'public.orders'].map((table) =>
      expect.objectContaining({
        sink_consumer: body.name,
        table,
        state: 'active',
        sort_column: null,
        start_position: null,
        rows_processed_count: 0,
      }),
    );
    expect([...sink!.active_backfills].sort((a, b) => a.table.localeCompare(b.table))).toEqual(expected);

    const listed = await tenant.client.GET('/api/sinks/{sink_id_or_name}/backfills', sinkPath(sink!.id));
    expect([...listed.data!.data].sort((a, b) => a.table.localeCompare(b.table))).toEqual(expected);
    const got = await tenant.client.GET('/api/sinks/{id_or_name}', { params: { path: { id_or_name: sink!.id } } });
    expect(got.data?.active_backfills).toEqual(sink!.active_backfills);
    const all = await tenant.client.GET('/api/sinks');
    expect(all.data?.data.find((s) => s.id === sink!.id)?.active_backfills).toEqual(sink!.active_backfills);
  });

  it('keeps the backfills in the sink response through updates, and refuses to change initial_backfill', async () => {
    const body = redisStream({ initial_backfill: true, source: { include_tables: ['orders'] } });
    const { data: sink } = await tenant.client.POST('/api/sinks', { body });
    const path = { params: { path: { id_or_name: sink!.id } } };
    const same = await tenant.client.PATCH('/api/sinks/{id_or_name}', {
      ...path,
      body: { initial_backfill: true, batch_size: 5 },
    });
    expect(same.response.status).toBe(200);
    expect(same.data?.active_backfills).toEqual(sink!.active_backfills);
    const changed = await tenant.client.PUT('/api/sinks/{id_or_name}', { ...path, body: { initial_backfill: false } });
    expect(changed.response.status).toBe(422);
    expect(changed.error?.validation_errors).toEqual({
      initial_backfill: [
        'cannot be changed after the sink is created; start a backfill with POST /api/sinks/{sink}/backfills',
      ],
    });
  });

  it('refuses a scope with a table without primary key, naming it, and writes nothing', async () => {
    const [sinksBefore, backfillsBefore] = [await countRows('sinks'), await countRows('backfills')];
    const body: CreateSinkBody = redisStream({ initial_backfill: true, source: { include_schemas: ['public'] } });
    const { response, error } = await tenant.client.POST('/api/sinks', { body });
    expect(response.status).toBe(422);
    expect(error).toEqual({
      summary: expect.stringContaining('public.keyless'),
      validation_errors: {
        initial_backfill: [
          "table public.keyless has no primary key, so it cannot be paged; add one or leave the table out of the sink's source",
        ],
      },
    });
    const lookup = await tenant.client.GET('/api/sinks/{id_or_name}', { params: { path: { id_or_name: body.name } } });
    expect(lookup.response.status).toBe(404);
    expect([await countRows('sinks'), await countRows('backfills')]).toEqual([sinksBefore, backfillsBefore]);
  });

  it('starts nothing without initial_backfill', async () => {
    const { data: sink } = await tenant.client.POST('/api/sinks', { body: redisStream() });
    expect(sink?.active_backfills).toEqual([]);
    const listed = await tenant.client.GET('/api/sinks/{sink_id_or_name}/backfills', sinkPath(sink!.id));
    expect(listed.data).toEqual({ data: [] });
  });
});
