import { Redis } from 'ioredis';
import { changesChannel } from '#core/queues/notifications.js';
import { type SourceDatabase, waitFor } from '#testing/databases.js';
import { signupAccount, startTestApi, type TestApi } from '#testing/test-api.js';
import { newTenant, queryMetadata, registerDatabase } from '../sinks/sinks.test-support.js';
import {
  type BackfillBody,
  backfillPath,
  createBackfill,
  createBackfillSource,
  createSink,
  sinkPath,
} from './backfills.test-support.js';

type Tenant = Awaited<ReturnType<typeof newTenant>>;
type Sink = Awaited<ReturnType<typeof createSink>>;

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UNKNOWN_UUID = '6f1c8d6e-8a43-4c1f-9d55-0f3b7a7f1e2a';

/** A backfill just started, of `table`, by `sink`. */
const fresh = (sink: Sink, table: string): BackfillBody => ({
  id: expect.stringMatching(/^[0-9a-f-]{36}$/),
  sink_consumer: sink.name,
  table,
  state: 'active',
  sort_column: null,
  start_position: null,
  rows_initial_count: null,
  rows_processed_count: 0,
  rows_ingested_count: 0,
  inserted_at: expect.stringMatching(ISO),
  updated_at: expect.stringMatching(ISO),
  completed_at: null,
  canceled_at: null,
  error: null,
});

describe('backfills', () => {
  let api: TestApi;
  let source: SourceDatabase;
  let owner: Tenant;

  const get = (sink: string, id: string) =>
    owner.client.GET('/api/sinks/{sink_id_or_name}/backfills/{id}', backfillPath(sink, id));
  const list = (sink: string) => owner.client.GET('/api/sinks/{sink_id_or_name}/backfills', sinkPath(sink));
  const patch = (sink: string, id: string, state: BackfillBody['state']) =>
    owner.client.PATCH('/api/sinks/{sink_id_or_name}/backfills/{id}', { ...backfillPath(sink, id), body: { state } });
  const put = (sink: string, id: string, state: BackfillBody['state']) =>
    owner.client.PUT('/api/sinks/{sink_id_or_name}/backfills/{id}', { ...backfillPath(sink, id), body: { state } });
  /** What the worker does when it finishes or gives up: the API never makes these changes. */
  const finish = (id: string, state: 'completed' | 'failed') =>
    queryMetadata(api, `UPDATE backfills SET state = $2 WHERE id = $1`, [id, state]);

  beforeAll(async () => {
    api = await startTestApi();
    source = await createBackfillSource();
    owner = await newTenant(api, source);
  });
  afterAll(async () => {
    await api?.close();
    await source?.drop();
  });

  describe('create', () => {
    it('starts a backfill of the named table and answers 201 with the spec shape', async () => {
      const sink = await createSink(owner.client);
      const { response, data } = await owner.client.POST('/api/sinks/{sink_id_or_name}/backfills', {
        ...sinkPath(sink.name),
        body: { table: 'orders' },
      });
      expect(response.status).toBe(201);
      expect(data).toEqual(fresh(sink, 'public.orders'));
      expect((await get(sink.id, data!.id)).data).toEqual(data);
    });

    it('defaults the table when the sink reads exactly one', async () => {
      const sink = await createSink(owner.client, { source: { include_tables: ['billing.invoices'] } });
      expect(await createBackfill(owner.client, sink.id)).toEqual(fresh(sink, 'billing.invoices'));
    });

    it('starts a partial backfill at start_position of sort_column, checked against the column type', async () => {
      const sink = await createSink(owner.client);
      const byTime = await createBackfill(owner.client, sink.name, {
        table: 'public.orders',
        sort_column: 'placed_at',
        start_position: '2025-01-01T00:00:00Z',
      });
      expect(byTime).toEqual({
        ...fresh(sink, 'public.orders'),
        sort_column: 'placed_at',
        start_position: '2025-01-01T00:00:00Z',
      });
      const byNumber = await createBackfill(owner.client, sink.name, {
        table: 'users',
        sort_column: 'id',
        start_position: 100,
      });
      expect(byNumber).toMatchObject({ sort_column: 'id', start_position: '100' });
    });

    it('refuses a second running backfill of the same table, and allows one once the first is cancelled', async () => {
      const sink = await createSink(owner.client);
      const first = await createBackfill(owner.client, sink.name, { table: 'orders' });
      const again = await owner.client.POST('/api/sinks/{sink_id_or_name}/backfills', {
        ...sinkPath(sink.name),
        body: { table: 'public.orders' },
      });
      expect(again.response.status).toBe(422);
      expect(again.error).toEqual({
        summary: 'Invalid backfill: a backfill of this table is already running',
        validation_errors: { table: ['a backfill of this table is already running'] },
      });
      await patch(sink.name, first.id, 'paused');
      const whilePaused = await owner.client.POST('/api/sinks/{sink_id_or_name}/backfills', {
        ...sinkPath(sink.name),
        body: { table: 'orders' },
      });
      expect(whilePaused.response.status).toBe(422);
      await patch(sink.name, first.id, 'cancelled');
      expect(await createBackfill(owner.client, sink.name, { table: 'orders' })).toEqual(fresh(sink, 'public.orders'));
      // Another sink may backfill the same table meanwhile.
      const other = await createSink(owner.client);
      expect(await createBackfill(owner.client, other.name, { table: 'orders' })).toEqual(
        fresh(other, 'public.orders'),
      );
    });

    it('refuses concurrent requests for one table with 422, never a 500: exactly one starts', async () => {
      const sink = await createSink(owner.client);
      const responses = await Promise.all(
        Array.from({ length: 6 }, () =>
          owner.client.POST('/api/sinks/{sink_id_or_name}/backfills', {
            ...sinkPath(sink.name),
            body: { table: 'users' },
          }),
        ),
      );
      expect(responses.map((r) => r.response.status).sort()).toEqual([201, 422, 422, 422, 422, 422]);
      expect((await list(sink.name)).data?.data).toHaveLength(1);
    });
  });

  describe('read', () => {
    it('lists the sink’s backfills newest first, and only that sink’s', async () => {
      const sink = await createSink(owner.client);
      const other = await createSink(owner.client);
      await createBackfill(owner.client, other.name, { table: 'orders' });
      const created: BackfillBody[] = [];
      for (const table of ['orders', 'users', 'billing.invoices']) {
        created.push(await createBackfill(owner.client, sink.name, { table }));
      }
      await patch(sink.name, created[0]!.id, 'cancelled');
      const { response, data } = await list(sink.id);
      expect(response.status).toBe(200);
      expect(data?.data.map((b) => b.id)).toEqual(created.map((b) => b.id).reverse());
      expect(data?.data.map((b) => b.state)).toEqual(['active', 'active', 'cancelled']);
    });

    it('gets a backfill by id through the sink’s id or name', async () => {
      const sink = await createSink(owner.client);
      const backfill = await createBackfill(owner.client, sink.name, { table: 'users' });
      for (const address of [sink.id, sink.name]) {
        const { response, data } = await get(address, backfill.id);
        expect(response.status).toBe(200);
        expect(data).toEqual(backfill);
      }
    });

    it('answers 404 for an unknown sink, a non-UUID or unknown id, and another sink’s backfill', async () => {
      const sink = await createSink(owner.client);
      const other = await createSink(owner.client);
      const backfill = await createBackfill(owner.client, sink.name, { table: 'users' });
      const misses: Array<[string, string]> = [
        ['no-such-sink', backfill.id],
        [UNKNOWN_UUID, backfill.id],
        [sink.name, 'not-a-uuid'],
        [sink.name, UNKNOWN_UUID],
        [sink.name, 'nul\u0000id'],
        [other.name, backfill.id],
      ];
      for (const [address, id] of misses) {
        for (const answer of [
          await get(address, id),
          await patch(address, id, 'paused'),
          await put(address, id, 'cancelled'),
        ]) {
          expect({ address, id, status: answer.response.status }).toEqual({ address, id, status: 404 });
          expect(answer.error).toEqual({ summary: expect.any(String) });
        }
      }
      for (const address of ['no-such-sink', UNKNOWN_UUID, 'nul\u0000name']) {
        expect((await list(address)).response.status).toBe(404);
        const created = await owner.client.POST('/api/sinks/{sink_id_or_name}/backfills', {
          ...sinkPath(address),
          body: { table: 'users' },
        });
        expect(created.response.status).toBe(404);
      }
      expect((await get(sink.name, backfill.id)).data?.state).toBe('active');
    });

    it('answers 404 to another account, by the sink’s id or name', async () => {
      const sink = await createSink(owner.client);
      const backfill = await createBackfill(owner.client, sink.name, { table: 'users' });
      const stranger = await signupAccount(api);
      await registerDatabase(stranger.client, source, 'db');
      for (const address of [sink.id, sink.name]) {
        const one = await stranger.client.GET(
          '/api/sinks/{sink_id_or_name}/backfills/{id}',
          backfillPath(address, backfill.id),
        );
        const all = await stranger.client.GET('/api/sinks/{sink_id_or_name}/backfills', sinkPath(address));
        const moved = await stranger.client.PATCH('/api/sinks/{sink_id_or_name}/backfills/{id}', {
          ...backfillPath(address, backfill.id),
          body: { state: 'cancelled' },
        });
        expect([one.response.status, all.response.status, moved.response.status]).toEqual([404, 404, 404]);
      }
      expect((await get(sink.name, backfill.id)).data?.state).toBe('active');
    });
  });

  describe('state changes', () => {
    let sink: Sink;
    beforeAll(async () => {
      sink = await createSink(owner.client);
    });
    /** A fresh active backfill of the sink (each test cancels or finishes what it starts). */
    const started = () => createBackfill(owner.client, sink.name, { table: 'orders' });

    it('pauses, resumes and cancels, through PATCH and PUT, showing the state in the sink', async () => {
      const backfill = await started();
      const paused = await patch(sink.name, backfill.id, 'paused');
      expect(paused.response.status).toBe(200);
      expect(paused.data).toEqual({ ...backfill, state: 'paused', updated_at: expect.stringMatching(ISO) });
      expect(Date.parse(paused.data!.updated_at)).toBeGreaterThanOrEqual(Date.parse(backfill.updated_at));
      expect((await get(sink.name, backfill.id)).data).toEqual(paused.data);
      expect(
        (await owner.client.GET('/api/sinks/{id_or_name}', { params: { path: { id_or_name: sink.id } } })).data
          ?.active_backfills,
      ).toEqual([paused.data]);

      const resumed = await put(sink.id, backfill.id, 'active');
      expect(resumed.data?.state).toBe('active');
      const cancelled = await patch(sink.name, backfill.id, 'cancelled');
      expect(cancelled.data).toMatchObject({
        state: 'cancelled',
        canceled_at: expect.stringMatching(ISO),
        completed_at: null,
      });
      expect(
        (await owner.client.GET('/api/sinks/{id_or_name}', { params: { path: { id_or_name: sink.id } } })).data
          ?.active_backfills,
      ).toEqual([]);
    });

    it('tells the workers after a start and after each state change', async () => {
      const subscriber = new Redis(api.config.redisUrl);
      const heard: unknown[] = [];
      try {
        await subscriber.subscribe(changesChannel(api.config.redisPrefix));
        subscriber.on('message', (_channel: string, message: string) => heard.push(JSON.parse(message)));
        const backfill = await started();
        await patch(sink.name, backfill.id, 'paused');
        await patch(sink.name, backfill.id, 'active');
        await patch(sink.name, backfill.id, 'cancelled');
        await waitFor(async () => heard.length >= 4, { message: 'four change notifications' });
        const notification = { accountId: owner.account.id, databaseId: owner.database.id };
        expect(heard).toEqual([notification, notification, notification, notification]);
      } finally {
        subscriber.disconnect();
      }
    });

    it('cancels a paused backfill', async () => {
      const backfill = await started();
      await put(sink.name, backfill.id, 'paused');
      const cancelled = await put(sink.name, backfill.id, 'cancelled');
      expect(cancelled.response.status).toBe(200);
      expect(cancelled.data?.state).toBe('cancelled');
    });

    it.each([
      ['active', 'active', 'is already active'],
      ['active', 'completed', 'cannot change from active to completed: only the backfill itself completes or fails'],
      ['active', 'failed', 'cannot change from active to failed: only the backfill itself completes or fails'],
      ['paused', 'paused', 'is already paused'],
      ['paused', 'completed', 'cannot change from paused to completed: only the backfill itself completes or fails'],
      [
        'cancelled',
        'active',
        'cannot change from cancelled to active: a cancelled backfill is final (start a new one instead)',
      ],
      [
        'cancelled',
        'paused',
        'cannot change from cancelled to paused: a cancelled backfill is final (start a new one instead)',
      ],
      [
        'completed',
        'paused',
        'cannot change from completed to paused: a completed backfill is final (start a new one instead)',
      ],
      [
        'completed',
        'cancelled',
        'cannot change from completed to cancelled: a completed backfill is final (start a new one instead)',
      ],
      ['failed', 'active', 'cannot change from failed to active: a failed backfill is final (start a new one instead)'],
      [
        'failed',
        'cancelled',
        'cannot change from failed to cancelled: a failed backfill is final (start a new one instead)',
      ],
    ] as const)('refuses %s → %s with 422 and leaves the backfill alone', async (from, to, reason) => {
      const backfill = await started();
      if (from === 'paused' || from === 'cancelled') await patch(sink.name, backfill.id, from);
      if (from === 'completed' || from === 'failed') await finish(backfill.id, from);
      const before = (await get(sink.name, backfill.id)).data!;
      for (const answer of [await patch(sink.name, backfill.id, to), await put(sink.name, backfill.id, to)]) {
        expect(answer.response.status).toBe(422);
        expect(answer.error).toEqual({
          summary: `Invalid backfill: state ${reason}`,
          validation_errors: { state: [reason] },
        });
      }
      expect((await get(sink.name, backfill.id)).data).toEqual(before);
      if (from === 'active' || from === 'paused') await patch(sink.name, backfill.id, 'cancelled');
    });
  });
});
