import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { SourceDatabase } from '#testing/databases.js';
import { signupAccount, startTestApi, type TestApi } from '#testing/test-api.js';
import {
  type CreateSinkBody,
  createSinkSource,
  currentLsn,
  newTenant,
  queryMetadata,
  redisStream,
  registerDatabase,
  type SinkBody,
} from './sinks.test-support.js';

type Tenant = Awaited<ReturnType<typeof newTenant>>;

const PASSWORD = 'redis-secret-password';
const INITIALIZING = {
  status: 'initializing',
  checks: [{ name: 'replication', status: 'initializing', message: 'waiting for the replication reader' }],
};
const UNRESTRICTED = { include_schemas: null, exclude_schemas: null, include_tables: null, exclude_tables: null };

/** Every field a created sink answers with, whatever its destination. */
const commonDefaults = (tenant: Tenant) => ({
  id: expect.any(String),
  database: 'db',
  database_id: tenant.database.id,
  status: 'active',
  source: UNRESTRICTED,
  tables: [],
  actions: ['insert', 'update', 'delete'],
  message_grouping: true,
  max_ack_pending: 10000,
  max_retry_count: null,
  ack_wait_ms: 30000,
  max_waiting: 20,
  annotations: {},
  initial_backfill: false,
  filter: null,
  transform: null,
  routing: null,
  start_lsn: expect.any(Number),
  inserted_at: expect.any(String),
  updated_at: expect.any(String),
  health: INITIALIZING,
  active_backfills: [],
});

describe('sinks', () => {
  let api: TestApi;
  let source: SourceDatabase;
  let owner: Tenant;

  const create = async (tenant: Tenant, body: CreateSinkBody): Promise<SinkBody> => {
    const { data, error } = await tenant.client.POST('/api/sinks', { body });
    if (!data) throw new Error(`create failed: ${JSON.stringify(error)}`);
    return data;
  };
  const path = (idOrName: string) => ({ params: { path: { id_or_name: idOrName } } });

  beforeAll(async () => {
    api = await startTestApi();
    source = await createSinkSource();
    owner = await newTenant(api, source);
  });
  afterAll(async () => {
    await api?.close();
    await source?.drop();
  });

  describe('create', () => {
    it('creates a redis_stream sink with every default filled in', async () => {
      const { response, data } = await owner.client.POST('/api/sinks', {
        body: redisStream({ name: 'stream-defaults' }),
      });
      expect(response.status).toBe(201);
      expect(data).toEqual({
        ...commonDefaults(owner),
        name: 'stream-defaults',
        destination: {
          type: 'redis_stream',
          host: 'localhost',
          port: 6379,
          database: 0,
          username: null,
          password: null,
          tls: false,
          stream_key: 'changes',
          max_len: null,
          stream_id_mode: 'auto',
        },
        batch_size: 50,
      });
    });

    it('creates a redis_string sink with every default filled in', async () => {
      const body = {
        name: 'string-defaults',
        database: owner.database.id,
        destination: { type: 'redis_string' as const, host: 'cache' },
      };
      const { response, data } = await owner.client.POST('/api/sinks', { body });
      expect(response.status).toBe(201);
      expect(data).toEqual({
        ...commonDefaults(owner),
        name: 'string-defaults',
        destination: {
          type: 'redis_string',
          host: 'cache',
          port: 6379,
          database: 0,
          username: null,
          password: null,
          tls: false,
          expire_ms: null,
          key_format: 'sequin',
          value: 'message',
        },
        batch_size: 10,
      });
    });

    it('creates a sequin_stream sink with every default filled in', async () => {
      const body = { name: 'pull-defaults', database: 'db', destination: { type: 'sequin_stream' as const } };
      const { response, data } = await owner.client.POST('/api/sinks', { body });
      expect(response.status).toBe(201);
      expect(data).toEqual({
        ...commonDefaults(owner),
        name: 'pull-defaults',
        destination: { type: 'sequin_stream' },
        batch_size: 1,
      });
    });

    it('keeps every field given, qualifying bare table names', async () => {
      const body: CreateSinkBody = {
        name: 'everything-set',
        database: 'db',
        destination: {
          type: 'redis_stream',
          host: 'redis.internal',
          port: 6380,
          database: 3,
          username: 'sluice',
          password: PASSWORD,
          tls: true,
          stream_key: 'orders',
          max_len: 1000,
          stream_id_mode: 'lsn',
        },
        status: 'paused',
        source: { include_schemas: ['public'], exclude_tables: ['users'] },
        tables: [{ name: 'orders', group_column_names: ['customer_id'] }],
        actions: ['insert', 'truncate'],
        message_grouping: false,
        batch_size: 1000,
        max_ack_pending: 5,
        max_retry_count: 3,
        ack_wait_ms: 500,
        max_waiting: 1,
        annotations: { team: 'billing', nested: { ok: true } },
        initial_backfill: false,
        filter: null,
        transform: null,
        routing: null,
      };
      const sink = await create(owner, body);
      expect(sink).toMatchObject({
        destination: { ...body.destination, password: 'r*******************d' },
        status: 'paused',
        source: {
          include_schemas: ['public'],
          exclude_schemas: null,
          include_tables: null,
          exclude_tables: ['public.users'],
        },
        tables: [{ name: 'public.orders', group_column_names: ['customer_id'] }],
        actions: ['insert', 'truncate'],
        message_grouping: false,
        batch_size: 1000,
        max_ack_pending: 5,
        max_retry_count: 3,
        ack_wait_ms: 500,
        max_waiting: 1,
        annotations: { team: 'billing', nested: { ok: true } },
        health: { status: 'paused', checks: [expect.objectContaining({ status: 'paused' })] },
      });
    });

    it('refuses a name already taken in the account', async () => {
      await create(owner, redisStream({ name: 'taken' }));
      const { response, error } = await owner.client.POST('/api/sinks', { body: redisStream({ name: 'taken' }) });
      expect(response.status).toBe(422);
      expect(error?.validation_errors).toEqual({ name: ['has already been taken'] });
    });

    it('records the source WAL position at creation as start_lsn', async () => {
      const before = await currentLsn(source);
      const first = await create(owner, redisStream());
      const after = await currentLsn(source);
      expect(BigInt(first.start_lsn)).toBeGreaterThanOrEqual(before);
      expect(BigInt(first.start_lsn)).toBeLessThanOrEqual(after);

      await source.client.query(`INSERT INTO orders SELECT g, g, g FROM generate_series(1, 100) g`);
      const advanced = await currentLsn(source);
      expect(advanced).toBeGreaterThan(BigInt(first.start_lsn));
      const second = await create(owner, redisStream());
      expect(BigInt(second.start_lsn)).toBeGreaterThanOrEqual(advanced);
      expect(Number.isSafeInteger(second.start_lsn)).toBe(true);
      const [row] = await queryMetadata<{ start_lsn: string }>(api, 'SELECT start_lsn FROM sinks WHERE id = $1', [
        second.id,
      ]);
      expect(row?.start_lsn).toBe(String(second.start_lsn));
    });
  });

  describe('read', () => {
    it('gets a sink by id and by name, and lists the account sinks', async () => {
      const sink = await create(owner, redisStream({ name: 'readable' }));
      const byId = await owner.client.GET('/api/sinks/{id_or_name}', path(sink.id));
      const byName = await owner.client.GET('/api/sinks/{id_or_name}', path('readable'));
      expect(byId.response.status).toBe(200);
      expect(byId.data).toEqual(sink);
      expect(byName.data).toEqual(sink);
      const list = await owner.client.GET('/api/sinks');
      expect(list.response.status).toBe(200);
      expect(list.data?.data).toContainEqual(sink);
    });

    it('answers 404 for an unknown name or id', async () => {
      for (const idOrName of ['no-such-sink', '6f1c8d6e-8a43-4c1f-9d55-0f3b7a7f1e2a', 'nul\u0000name']) {
        const { response, error } = await owner.client.GET('/api/sinks/{id_or_name}', path(idOrName));
        expect(response.status).toBe(404);
        expect(error).toEqual({ summary: expect.any(String) });
      }
    });
  });

  describe('update', () => {
    it('PATCH merges destination fields, keeps the stored password and answers it obfuscated', async () => {
      const sink = await create(
        owner,
        redisStream({
          name: 'patched',
          destination: { type: 'redis_stream', host: 'a', stream_key: 'k', password: PASSWORD },
        }),
      );
      const { response, data } = await owner.client.PATCH('/api/sinks/{id_or_name}', {
        ...path('patched'),
        body: { destination: { type: 'redis_stream', port: 6380 }, batch_size: 7, max_retry_count: 5 },
      });
      expect(response.status).toBe(200);
      expect(data).toEqual({
        ...sink,
        destination: { ...sink.destination, port: 6380, password: 'r*******************d' },
        batch_size: 7,
        max_retry_count: 5,
        updated_at: expect.any(String),
      });
      expect(JSON.stringify(data)).not.toContain(PASSWORD);
      expect(Date.parse(data!.updated_at)).toBeGreaterThan(Date.parse(sink.updated_at));
      expect((await owner.client.GET('/api/sinks/{id_or_name}', path(sink.id))).data).toEqual(data);

      const cleared = await owner.client.PATCH('/api/sinks/{id_or_name}', {
        ...path(sink.id),
        body: { max_retry_count: null, status: 'disabled' },
      });
      expect(cleared.data).toMatchObject({ max_retry_count: null, status: 'disabled', health: { status: 'paused' } });
      expect(cleared.data?.destination).toMatchObject({ port: 6380, password: 'r*******************d' });
    });

    it('PUT replaces the destination (defaults for fields left out) but keeps the password unless it is set to null', async () => {
      await create(
        owner,
        redisStream({
          name: 'replaced',
          destination: {
            type: 'redis_stream',
            host: 'a',
            port: 6380,
            stream_key: 'k',
            password: PASSWORD,
            max_len: 10,
          },
        }),
      );
      const put = await owner.client.PUT('/api/sinks/{id_or_name}', {
        ...path('replaced'),
        body: { destination: { type: 'redis_stream', host: 'b', stream_key: 'k2' } },
      });
      expect(put.response.status).toBe(200);
      expect(put.data?.destination).toEqual({
        type: 'redis_stream',
        host: 'b',
        port: 6379,
        database: 0,
        username: null,
        password: 'r*******************d',
        tls: false,
        stream_key: 'k2',
        max_len: null,
        stream_id_mode: 'auto',
      });
      const removed = await owner.client.PUT('/api/sinks/{id_or_name}', {
        ...path('replaced'),
        body: { destination: { type: 'redis_stream', host: 'b', stream_key: 'k2', password: null } },
      });
      expect(removed.data?.destination).toMatchObject({ password: null });
    });

    it('renames, and refuses a name another sink has', async () => {
      const sink = await create(owner, redisStream({ name: 'old-name' }));
      await create(owner, redisStream({ name: 'other-name' }));
      const renamed = await owner.client.PATCH('/api/sinks/{id_or_name}', {
        ...path('old-name'),
        body: { name: 'new-name' },
      });
      expect(renamed.data).toMatchObject({ id: sink.id, name: 'new-name' });
      const same = await owner.client.PUT('/api/sinks/{id_or_name}', {
        ...path('new-name'),
        body: { name: 'new-name' },
      });
      expect(same.response.status).toBe(200);
      const clash = await owner.client.PATCH('/api/sinks/{id_or_name}', {
        ...path('new-name'),
        body: { name: 'other-name' },
      });
      expect(clash.response.status).toBe(422);
      expect(clash.error?.validation_errors).toEqual({ name: ['has already been taken'] });
    });

    it('refuses a change of destination type or database, and an invalid scope, leaving the sink as it was', async () => {
      const sink = await create(owner, redisStream({ name: 'fixed', source: { include_tables: ['orders'] } }));
      await registerDatabase(owner.client, source, 'db-two');
      const refusals: Array<[Record<string, unknown>, Record<string, unknown>]> = [
        [
          { destination: { type: 'sequin_stream' } },
          { destination: { type: [expect.stringContaining('cannot be changed')] } },
        ],
        [{ database: 'db-two' }, { database: [expect.stringContaining('cannot be changed')] }],
        [{ database: 'nope' }, { database: ['not found'] }],
        [
          { source: { include_tables: ['nope'] } },
          { source: { include_tables: ['table public.nope is not in the publication'] } },
        ],
        [
          { tables: [{ name: 'users', group_column_names: ['id'] }] },
          { tables: { '0': { name: [expect.stringContaining('source')] } } },
        ],
        [{ batch_size: 0 }, { batch_size: [expect.any(String)] }],
        [{ filter: 'f' }, { filter: ['function not found'] }],
        [
          { destination: { type: 'redis_stream', host: null } },
          { destination: expect.objectContaining({ host: [expect.any(String)] }) },
        ],
        [
          { destination: { type: 'redis_stream', colour: 'red' } },
          { destination: expect.objectContaining({ colour: ['unknown field'] }) },
        ],
      ];
      for (const [body, errors] of refusals) {
        for (const method of ['PUT', 'PATCH'] as const) {
          const request = { ...path('fixed'), body: body as never };
          const { response, error } =
            method === 'PUT'
              ? await owner.client.PUT('/api/sinks/{id_or_name}', request)
              : await owner.client.PATCH('/api/sinks/{id_or_name}', request);
          expect({ method, body, status: response.status, errors: error?.validation_errors }).toEqual({
            method,
            body,
            status: 422,
            errors,
          });
        }
      }
      expect((await owner.client.GET('/api/sinks/{id_or_name}', path('fixed'))).data).toEqual(sink);
      const sameDatabase = await owner.client.PATCH('/api/sinks/{id_or_name}', {
        ...path('fixed'),
        body: { database: owner.database.id },
      });
      expect(sameDatabase.response.status).toBe(200);
    });

    it('re-checks and stores a new scope', async () => {
      await create(owner, redisStream({ name: 'rescoped' }));
      const { data } = await owner.client.PATCH('/api/sinks/{id_or_name}', {
        ...path('rescoped'),
        body: {
          source: { include_tables: ['orders', 'billing.invoices'] },
          tables: [{ name: 'billing.invoices', group_column_names: ['amount'] }],
        },
      });
      expect(data).toMatchObject({
        source: { ...UNRESTRICTED, include_tables: ['public.orders', 'billing.invoices'] },
        tables: [{ name: 'billing.invoices', group_column_names: ['amount'] }],
      });
    });

    it('answers 404 for an unknown sink', async () => {
      const { response } = await owner.client.PATCH('/api/sinks/{id_or_name}', {
        ...path('no-such-sink'),
        body: { batch_size: 5 },
      });
      expect(response.status).toBe(404);
    });
  });

  describe('delete', () => {
    it('deletes a sink by name or id; it is gone at once', async () => {
      const byName = await create(owner, redisStream({ name: 'doomed' }));
      const byId = await create(owner, redisStream());
      const first = await owner.client.DELETE('/api/sinks/{id_or_name}', path('doomed'));
      expect(first.response.status).toBe(200);
      expect(first.data).toEqual({ id: byName.id, deleted: true });
      const second = await owner.client.DELETE('/api/sinks/{id_or_name}', path(byId.id));
      expect(second.data).toEqual({ id: byId.id, deleted: true });
      expect((await owner.client.GET('/api/sinks/{id_or_name}', path('doomed'))).response.status).toBe(404);
      expect((await owner.client.DELETE('/api/sinks/{id_or_name}', path('doomed'))).response.status).toBe(404);
      const ids = (await owner.client.GET('/api/sinks')).data?.data.map((s) => s.id);
      expect(ids).not.toContain(byName.id);
      expect(ids).not.toContain(byId.id);
    });
  });

  describe('secrets', () => {
    it('stores the Redis password only encrypted and never answers it in plain text', async () => {
      const sink = await create(
        owner,
        redisStream({ destination: { type: 'redis_string', host: 'h', password: PASSWORD } }),
      );
      const [row] = await queryMetadata<{ destination: Record<string, unknown> }>(
        api,
        'SELECT destination FROM sinks WHERE id = $1',
        [sink.id],
      );
      expect(JSON.stringify(row)).not.toContain(PASSWORD);
      expect(row?.destination).not.toHaveProperty('password');
      expect(row?.destination.password_encrypted).toEqual(expect.stringMatching(/^v1:/));
      const answers = [
        sink,
        (await owner.client.GET('/api/sinks/{id_or_name}', path(sink.id))).data,
        (await owner.client.GET('/api/sinks')).data,
      ];
      for (const answer of answers) expect(JSON.stringify(answer)).not.toContain(PASSWORD);
      expect(sink.destination).toMatchObject({ password: 'r*******************d' });
    });
  });

  describe('tenancy', () => {
    let other: Tenant;
    let sink: SinkBody;
    let ownerOnly: Tenant['database'];

    beforeAll(async () => {
      other = await newTenant(api, source);
      ownerOnly = await registerDatabase(owner.client, source, 'owner-only');
      sink = await create(owner, redisStream({ name: 'private-sink' }));
    });

    it("answers 404 for another account's sink, by id or name, on every route", async () => {
      for (const idOrName of [sink.id, sink.name]) {
        const answers = [
          await other.client.GET('/api/sinks/{id_or_name}', path(idOrName)),
          await other.client.PUT('/api/sinks/{id_or_name}', { ...path(idOrName), body: { batch_size: 5 } }),
          await other.client.PATCH('/api/sinks/{id_or_name}', { ...path(idOrName), body: { batch_size: 5 } }),
          await other.client.DELETE('/api/sinks/{id_or_name}', path(idOrName)),
        ];
        expect(answers.map((a) => a.response.status)).toEqual([404, 404, 404, 404]);
      }
      expect((await owner.client.GET('/api/sinks/{id_or_name}', path(sink.id))).data).toEqual(sink);
    });

    it("cannot reference another account's database by name or id", async () => {
      for (const database of [ownerOnly.name, ownerOnly.id, owner.database.id]) {
        const { response, error } = await other.client.POST('/api/sinks', { body: redisStream({ database }) });
        expect(response.status).toBe(422);
        expect(error?.validation_errors).toEqual({ database: ['not found'] });
      }
      // `db` is the other account's own database too: its sink lands there, not on the owner's.
      const own = await create(other, redisStream({ name: 'private-sink' }));
      expect(own.database_id).toBe(other.database.id);
    });

    it("does not list another account's sinks", async () => {
      const list = await other.client.GET('/api/sinks');
      expect(list.data?.data.map((s) => s.id)).not.toContain(sink.id);
      expect(list.data?.data.every((s) => s.database_id === other.database.id)).toBe(true);
    });
  });

  describe('an unreachable source', () => {
    let tenant: Tenant;
    let blackhole: Server;
    const sockets = new Set<Socket>();

    beforeAll(async () => {
      const { client, account } = await signupAccount(api);
      const doomedSource = await createSinkSource();
      const database = await registerDatabase(client, doomedSource, 'db');
      tenant = { client, account, database };
      await doomedSource.drop();
      blackhole = createServer((socket) => sockets.add(socket));
      await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackhole?.close(resolve));
    });

    it('answers 502 with a clear summary and saves nothing when the source refuses', async () => {
      const { response, error } = await tenant.client.POST('/api/sinks', { body: redisStream() });
      expect(response.status).toBe(502);
      expect(error?.summary).toMatch(/^Database "db" could not be reached to read its WAL position: /);
      expect((await tenant.client.GET('/api/sinks')).data).toEqual({ data: [] });
    });

    it('answers 504 and saves nothing when the source does not answer', async () => {
      const { port } = blackhole.address() as AddressInfo;
      await queryMetadata(api, `UPDATE postgres_databases SET hostname = '127.0.0.1', port = $1 WHERE id = $2`, [
        port,
        tenant.database.id,
      ]);
      const { response, error } = await tenant.client.POST('/api/sinks', { body: redisStream() });
      expect(response.status).toBe(504);
      expect(error?.summary).toMatch(/did not answer in time/);
      expect((await tenant.client.GET('/api/sinks')).data).toEqual({ data: [] });
    });
  });
});
