import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Vault } from '#core/crypto/vault.js';
import { freePort } from '#core/embedded/free-port.js';
import { startPostgresServer } from '#core/embedded/postgres-server.js';
import { createSourceDatabase, randomSuffix, type SourceDatabase, withClient } from '#testing/databases.js';
import { signupAccount, type ApiClient, startTestApi, type TestApi } from '#testing/test-api.js';
import type { components } from '#testing/api-schema.js';

type CreateBody = components['schemas']['CreatePostgresDatabaseDto'];
type Database = components['schemas']['PostgresDatabaseDto'];

const PATH = '/api/postgres_databases';
const ONE = '/api/postgres_databases/{id_or_name}';
const TEST_CONNECTION = '/api/postgres_databases/{id_or_name}/test_connection';
const REFRESH_TABLES = '/api/postgres_databases/{id_or_name}/refresh_tables';
const at = (idOrName: string) => ({ params: { path: { id_or_name: idOrName } } });

const uniqueName = (prefix = 'db') => `${prefix}-${randomSuffix()}`;
const uniqueSlot = () => `sluice_slot_${randomSuffix()}`;

/** The test server's connection fields for one of its databases (trust auth: any password works). */
function fieldsOf(source: SourceDatabase) {
  const url = new URL(source.url);
  return {
    hostname: url.hostname,
    port: Number(url.port),
    database: source.name,
    username: decodeURIComponent(url.username),
    password: 'hunter2-secret',
  };
}

describe('postgres databases', () => {
  let api: TestApi;
  const sources: SourceDatabase[] = [];

  async function source(options: { publication?: string; slot?: string } = {}): Promise<SourceDatabase> {
    const created = await createSourceDatabase(options);
    sources.push(created);
    return created;
  }

  /** A source with its publication and slot already there, and the body that registers it. */
  async function readySource(): Promise<{ src: SourceDatabase; body: CreateBody }> {
    const slot = uniqueSlot();
    const src = await source({ publication: 'sluice_pub', slot });
    return {
      src,
      body: {
        name: uniqueName(),
        ...fieldsOf(src),
        replication_slots: [{ publication_name: 'sluice_pub', slot_name: slot }],
      },
    };
  }

  async function create(body: CreateBody, client: ApiClient = api.client): Promise<Database> {
    const { data, error, response } = await client.POST(PATH, { body });
    if (response.status !== 201 || !data) throw new Error(`create failed: ${response.status} ${JSON.stringify(error)}`);
    return data;
  }

  const rawRequest = (method: string, path: string, body: unknown) =>
    fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${api.bootstrapToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const metadata = <T>(use: (client: pg.Client) => Promise<T>) => withClient(api.config.databaseUrl, use);

  const names = async (client: ApiClient = api.client) => (await client.GET(PATH)).data!.data.map((d) => d.name);

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
    await Promise.all(sources.map((s) => s.drop()));
  });

  describe('create', () => {
    it('creates from a url, creating the publication then the slot, and discovers the tables', async () => {
      const src = await source();
      await src.client.query(`
        CREATE TABLE public.orders (tenant_id int, id bigint, legacy text, note varchar(20), amount numeric(10,2),
                                    created_at timestamptz, PRIMARY KEY (id, tenant_id));
        ALTER TABLE public.orders DROP COLUMN legacy;
        CREATE SCHEMA inventory;
        CREATE TABLE inventory.items (sku text PRIMARY KEY, tags text[]);
        CREATE TABLE public.events (payload jsonb);`);
      const slot = uniqueSlot();
      const { hostname, port, database } = fieldsOf(src);
      const password = 'p@ss:w/rd%';
      const url = `postgresql://postgres:${encodeURIComponent(password)}@${hostname}:${port}/${database}`;

      const { data, response } = await api.client.POST(PATH, {
        body: {
          name: 'shop',
          url,
          annotations: { team: 'billing' },
          replication_slots: [{ publication_name: 'shop_pub', slot_name: slot }],
          create_publication_if_missing: true,
          create_slot_if_missing: true,
        },
      });

      expect(response.status).toBe(201);
      expect(data).toEqual({
        id: expect.any(String),
        name: 'shop',
        hostname,
        port,
        database,
        username: 'postgres',
        password: 'p********%',
        ssl: false,
        annotations: { team: 'billing' },
        replication_slots: [
          { id: expect.any(String), publication_name: 'shop_pub', slot_name: slot, status: 'active' },
        ],
        tables: [
          {
            schema: 'inventory',
            name: 'items',
            primary_key: ['sku'],
            columns: [
              { name: 'sku', type: 'text' },
              { name: 'tags', type: 'text[]' },
            ],
          },
          { schema: 'public', name: 'events', primary_key: [], columns: [{ name: 'payload', type: 'jsonb' }] },
          {
            schema: 'public',
            name: 'orders',
            primary_key: ['id', 'tenant_id'],
            columns: [
              { name: 'tenant_id', type: 'integer' },
              { name: 'id', type: 'bigint' },
              { name: 'note', type: 'character varying(20)' },
              { name: 'amount', type: 'numeric(10,2)' },
              { name: 'created_at', type: 'timestamp with time zone' },
            ],
          },
        ],
      });

      const { rows: publications } = await src.client.query(
        'SELECT puballtables FROM pg_publication WHERE pubname = $1',
        ['shop_pub'],
      );
      expect(publications).toEqual([{ puballtables: true }]);
      const { rows: slots } = await src.client.query(
        'SELECT database, plugin, slot_type FROM pg_replication_slots WHERE slot_name = $1',
        [slot],
      );
      expect(slots).toEqual([{ database, plugin: 'pgoutput', slot_type: 'logical' }]);

      const [stored] = await metadata(
        async (c) =>
          (await c.query('SELECT password_encrypted FROM postgres_databases WHERE id = $1', [data!.id])).rows,
      );
      expect(stored.password_encrypted).not.toContain(password);
      expect(new Vault(api.config.vaultKey).decrypt(stored.password_encrypted)).toBe(password);
    });

    it('creates from separate fields with an existing publication and slot, keeping the given slot status', async () => {
      const { src, body } = await readySource();
      await src.client.query('CREATE TABLE widgets (id int PRIMARY KEY)');
      const data = await create({
        ...body,
        ssl: false,
        replication_slots: [{ ...body.replication_slots[0]!, status: 'disabled' }],
      });
      expect(data).toMatchObject({
        name: body.name,
        hostname: body.hostname,
        port: body.port,
        database: src.name,
        password: 'h************t',
        annotations: {},
        replication_slots: [
          { publication_name: 'sluice_pub', slot_name: body.replication_slots[0]!.slot_name, status: 'disabled' },
        ],
        tables: [
          { schema: 'public', name: 'widgets', primary_key: ['id'], columns: [{ name: 'id', type: 'integer' }] },
        ],
      });
    });

    it('obfuscates a password shorter than 6 characters entirely', async () => {
      const { body } = await readySource();
      expect((await create({ ...body, password: 'abcde' })).password).toBe('*****');
    });

    it('lists partitioned tables as the publication publishes them (via the root here)', async () => {
      const src = await source();
      await src.client.query(`
        CREATE TABLE measurements (id int, at date, value real, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
        CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        CREATE PUBLICATION via_root FOR ALL TABLES WITH (publish_via_partition_root = true);`);
      const data = await create({
        name: uniqueName(),
        ...fieldsOf(src),
        replication_slots: [{ publication_name: 'via_root', slot_name: uniqueSlot() }],
        create_slot_if_missing: true,
      });
      expect(data.tables).toEqual([
        {
          schema: 'public',
          name: 'measurements',
          primary_key: ['id', 'at'],
          columns: [
            { name: 'id', type: 'integer' },
            { name: 'at', type: 'date' },
            { name: 'value', type: 'real' },
          ],
        },
      ]);
    });
  });

  describe('create refused by the source check: 422 on the field, nothing written anywhere', () => {
    const refused = async (body: CreateBody, validationErrors: unknown) => {
      const before = await names();
      const { error, response } = await api.client.POST(PATH, { body });
      expect(response.status).toBe(422);
      expect(error).toEqual({
        summary: expect.stringContaining('The source database cannot be used'),
        validation_errors: validationErrors,
      });
      expect(await names()).toEqual(before);
    };

    it('unreachable port, on hostname (or on url in the url form)', async () => {
      const { body } = await readySource();
      const port = await freePort();
      await refused({ ...body, port }, { hostname: [expect.stringMatching(/^could not connect: .*ECONNREFUSED/)] });
      const { hostname, database, replication_slots } = body;
      await refused(
        { name: body.name, url: `postgresql://postgres@${hostname}:${port}/${database}`, replication_slots },
        { url: [expect.stringMatching(/^could not connect: /)] },
      );
    });

    it('a server whose wal_level is not logical, on hostname', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sluice-wal-replica-'));
      await chmod(dir, 0o755); // run as root, Postgres runs as the postgres user and must enter it
      const server = await startPostgresServer({
        dataDir: join(dir, 'data'),
        fast: true,
        settings: { wal_level: 'replica' },
      });
      try {
        const url = new URL(server.url);
        await refused(
          {
            name: uniqueName(),
            hostname: url.hostname,
            port: Number(url.port),
            database: 'postgres',
            username: decodeURIComponent(url.username),
            password: 'unused-trust-auth',
            replication_slots: [{ publication_name: 'sluice_pub', slot_name: uniqueSlot() }],
          },
          { hostname: ['wal_level is "replica" on this server; logical replication needs wal_level = logical'] },
        );
      } finally {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      }
    }, 60_000);

    it('unknown database and unknown user, on their fields', async () => {
      const { body } = await readySource();
      await refused(
        { ...body, database: `missing_${randomSuffix()}` },
        { database: [expect.stringContaining('does not exist')] },
      );
      await refused(
        { ...body, username: `nobody_${randomSuffix()}` },
        { username: [expect.stringContaining('does not exist')] },
      );
    });

    it('a user without the REPLICATION attribute, on username', async () => {
      const { src, body } = await readySource();
      const role = `no_repl_${randomSuffix()}`;
      await src.client.query(`CREATE ROLE ${role} LOGIN`);
      try {
        await refused(
          { ...body, username: role },
          { username: [`user "${role}" may not replicate: it needs the REPLICATION attribute or superuser`] },
        );
      } finally {
        await src.client.query(`DROP ROLE ${role}`);
      }
    });

    it('a missing publication or slot, under replication_slots', async () => {
      const { src, body } = await readySource();
      const [slot] = body.replication_slots;
      await refused(
        { ...body, replication_slots: [{ ...slot!, publication_name: 'nope_pub' }] },
        {
          replication_slots: { publication_name: [`publication "nope_pub" does not exist in database "${src.name}"`] },
        },
      );
      await refused(
        { ...body, replication_slots: [{ ...slot!, slot_name: 'nope_slot' }] },
        { replication_slots: { slot_name: [`slot "nope_slot" does not exist in database "${src.name}"`] } },
      );
    });

    it('a slot of another database, precisely', async () => {
      const { src: other, body: otherBody } = await readySource();
      const { src, body } = await readySource();
      const foreignSlot = otherBody.replication_slots[0]!.slot_name;
      await refused(
        {
          ...body,
          replication_slots: [{ publication_name: 'sluice_pub', slot_name: foreignSlot }],
          create_slot_if_missing: true,
        },
        {
          replication_slots: {
            slot_name: [`slot "${foreignSlot}" belongs to database "${other.name}", not to "${src.name}"`],
          },
        },
      );
    });

    it('creates nothing on the source when a check fails, even with create_*_if_missing', async () => {
      const src = await source();
      await refused(
        {
          name: uniqueName(),
          ...fieldsOf(src),
          replication_slots: [{ publication_name: 'fresh_pub', slot_name: uniqueSlot() }],
          create_publication_if_missing: true,
        },
        { replication_slots: { slot_name: [expect.stringContaining('does not exist')] } },
      );
      expect((await src.client.query('SELECT 1 FROM pg_publication')).rowCount).toBe(0);
    });
  });

  describe('request validation: 422 before touching the source', () => {
    const invalid = async (body: unknown, expected: Record<string, unknown>) => {
      const response = await rawRequest('POST', PATH, body);
      expect(response.status).toBe(422);
      const answer = (await response.json()) as { validation_errors: Record<string, unknown> };
      expect(answer.validation_errors).toMatchObject(expected);
      return answer;
    };
    let body: CreateBody;
    beforeAll(async () => {
      body = (await readySource()).body;
    });

    it('refuses an unknown field', async () => {
      const answer = await invalid({ ...body, colour: 'red' }, { colour: ['unknown field'] });
      expect(answer).toMatchObject({ summary: 'Unknown field: colour' });
    });

    it('refuses url together with a field it replaces', async () => {
      await invalid(
        { ...body, url: 'postgresql://postgres@127.0.0.1:1/x' },
        { url: [expect.stringContaining('cannot be combined with hostname, port, database, username, password')] },
      );
    });

    it('refuses a malformed url', async () => {
      const { name, replication_slots } = body;
      await invalid(
        { name, replication_slots, url: 'mysql://a@b/c' },
        { url: ['must start with postgresql:// or postgres://'] },
      );
    });

    it.each([['5432'], [70000], [1.5], [0]])('refuses port %p', async (port) => {
      await invalid({ ...body, port }, { port: [expect.any(String)] });
    });

    it('refuses zero or two replication slots, and a bad slot', async () => {
      const [slot] = body.replication_slots;
      await invalid(
        { ...body, replication_slots: [slot, slot] },
        { replication_slots: ['must contain exactly one replication slot'] },
      );
      await invalid(
        { ...body, replication_slots: [] },
        { replication_slots: ['must contain exactly one replication slot'] },
      );
      await invalid(
        { ...body, replication_slots: [{ ...slot, slot_name: 'Bad-Name' }] },
        { replication_slots: { 0: { slot_name: [expect.any(String)] } } },
      );
      await invalid(
        { ...body, replication_slots: [{ ...slot, status: 'paused' }] },
        { replication_slots: { 0: { status: [expect.any(String)] } } },
      );
    });

    it('refuses missing fields', async () => {
      const { name, replication_slots } = body;
      await invalid(
        { name, replication_slots },
        {
          hostname: [expect.any(String)],
          database: [expect.any(String)],
          username: [expect.any(String)],
          password: [expect.any(String)],
        },
      );
      const { replication_slots: _omitted, ...withoutSlots } = body;
      await invalid(withoutSlots, { replication_slots: [expect.any(String)] });
      await invalid({ ...body, name: undefined }, { name: [expect.any(String)] });
    });

    it('refuses annotations that are not an object', async () => {
      await invalid({ ...body, annotations: ['a'] }, { annotations: [expect.any(String)] });
    });

    it.each([['has space'], [''], ['a/b'], ['6f1c8d6e-8a43-4c1f-9d55-0f3b7a7f1e2a']])(
      'refuses the name %j (letters, digits, _, - and . only, and not a UUID)',
      async (name) => {
        await invalid({ ...body, name }, { name: [expect.any(String)] });
      },
    );

    it('refuses a duplicate name', async () => {
      const first = await create(body);
      const { body: again } = await readySource();
      const { error, response } = await api.client.POST(PATH, { body: { ...again, name: first.name } });
      expect(response.status).toBe(422);
      expect(error).toEqual({ summary: expect.any(String), validation_errors: { name: ['has already been taken'] } });
    });
  });

  describe('read', () => {
    it('gets by id and by name, and lists', async () => {
      const { body } = await readySource();
      const created = await create(body);
      const byId = await api.client.GET(ONE, at(created.id));
      expect(byId.response.status).toBe(200);
      expect(byId.data).toEqual(created);
      expect((await api.client.GET(ONE, at(created.name))).data).toEqual(created);
      const list = await api.client.GET(PATH);
      expect(list.response.status).toBe(200);
      expect(list.data!.data).toContainEqual(created);
      for (const missing of ['no-such-db', '00000000-0000-4000-8000-000000000000']) {
        const { response, error } = await api.client.GET(ONE, at(missing));
        expect(response.status).toBe(404);
        expect(error).toEqual({ summary: expect.any(String) });
      }
    });
  });

  describe('update', () => {
    it('PATCH changes name, annotations and slot status without re-testing', async () => {
      const { body } = await readySource();
      const created = await create(body);
      const newName = uniqueName('renamed');
      const { data, response } = await api.client.PATCH(ONE, {
        ...at(created.id),
        body: { name: newName, annotations: { env: 'prod' }, replication_slots: [{ status: 'disabled' }] },
      });
      expect(response.status).toBe(200);
      expect(data).toEqual({
        ...created,
        name: newName,
        annotations: { env: 'prod' },
        replication_slots: [{ ...created.replication_slots[0], status: 'disabled' }],
      });
      expect((await api.client.GET(ONE, at(newName))).data).toEqual(data);

      const nulls = await rawRequest('PATCH', `${PATH}/${created.id}`, { name: null, annotations: null, port: null });
      expect(nulls.status).toBe(200);
      expect(await nulls.json()).toEqual(data);
    });

    it('PUT re-tests a changed connection or slot and keeps the old values when the check fails', async () => {
      const { src, body } = await readySource();
      const created = await create(body);

      const badPort = await api.client.PUT(ONE, { ...at(created.id), body: { port: await freePort() } });
      expect(badPort.response.status).toBe(422);
      expect(badPort.error?.validation_errors).toEqual({ hostname: [expect.stringMatching(/^could not connect/)] });

      const badSlot = await api.client.PUT(ONE, {
        ...at(created.id),
        body: { replication_slots: [{ slot_name: 'not_there' }] },
      });
      expect(badSlot.response.status).toBe(422);
      expect(badSlot.error?.validation_errors).toEqual({
        replication_slots: { slot_name: [`slot "not_there" does not exist in database "${src.name}"`] },
      });
      expect((await api.client.GET(ONE, at(created.id))).data).toEqual(created);

      await src.client.query('CREATE TABLE added_later (id int PRIMARY KEY)');
      const newSlot = uniqueSlot();
      const moved = await api.client.PUT(ONE, {
        ...at(created.id),
        body: { password: 'another-secret', replication_slots: [{ slot_name: newSlot }], create_slot_if_missing: true },
      });
      expect(moved.response.status).toBe(200);
      expect(moved.data).toMatchObject({
        password: 'a************t',
        replication_slots: [
          {
            id: created.replication_slots[0]!.id,
            publication_name: 'sluice_pub',
            slot_name: newSlot,
            status: 'active',
          },
        ],
        tables: [
          { schema: 'public', name: 'added_later', primary_key: ['id'], columns: [{ name: 'id', type: 'integer' }] },
        ],
      });
      const { rowCount } = await src.client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [newSlot]);
      expect(rowCount).toBe(1);
    });

    it('refuses a duplicate name, an unknown field, url with hostname, and an unknown database', async () => {
      const first = await create((await readySource()).body);
      const second = await create((await readySource()).body);
      const dup = await api.client.PATCH(ONE, { ...at(second.id), body: { name: first.name } });
      expect(dup.response.status).toBe(422);
      expect(dup.error?.validation_errors).toEqual({ name: ['has already been taken'] });
      expect((await rawRequest('PATCH', `${PATH}/${second.id}`, { nope: 1 })).status).toBe(422);
      expect(
        (await rawRequest('PUT', `${PATH}/${second.id}`, { url: 'postgresql://a@h/d', hostname: 'h' })).status,
      ).toBe(422);
      expect((await api.client.PATCH(ONE, { ...at('no-such-db'), body: { ssl: false } })).response.status).toBe(404);
    });
  });

  describe('delete', () => {
    it('deletes by id or name, and refuses while a sink uses the database', async () => {
      const created = await create((await readySource()).body);
      const account = (await api.client.GET('/api/account')).data!;
      await metadata((c) =>
        c.query(
          `INSERT INTO sinks (account_id, name, postgres_database_id, destination, source, actions, batch_size, start_lsn)
           VALUES ($1, 'uses-it', $2, '{"type": "sequin_stream"}', '{}', '{insert}', 50, 0)`,
          [account.id, created.id],
        ),
      );
      const refused = await api.client.DELETE(ONE, at(created.name));
      expect(refused.response.status).toBe(422);
      expect(refused.error).toEqual({
        summary: expect.stringContaining('used by 1 sink'),
        validation_errors: { sinks: ['sink "uses-it" uses this database'] },
      });
      expect((await api.client.GET(ONE, at(created.id))).response.status).toBe(200);

      await metadata((c) => c.query('DELETE FROM sinks WHERE postgres_database_id = $1', [created.id]));
      const deleted = await api.client.DELETE(ONE, at(created.name));
      expect(deleted.response.status).toBe(200);
      expect(deleted.data).toEqual({ id: created.id, deleted: true });
      expect((await api.client.GET(ONE, at(created.id))).response.status).toBe(404);
      const { rows } = await metadata((c) =>
        c.query('SELECT 1 FROM replication_slots WHERE postgres_database_id = $1', [created.id]),
      );
      expect(rows).toHaveLength(0);
      expect((await api.client.DELETE(ONE, at(created.id))).response.status).toBe(404);
    });
  });

  describe('test_connection', () => {
    const failure = async (idOrName: string, validationErrors: unknown) => {
      const { error, response } = await api.client.POST(TEST_CONNECTION, at(idOrName));
      expect(response.status).toBe(422);
      const reason = expect.any(String);
      expect(error).toEqual({
        success: false,
        reason,
        summary: expect.stringContaining('Connection test failed'),
        validation_errors: validationErrors,
      });
      return error as { reason: string };
    };

    it('succeeds on a ready source', async () => {
      const created = await create((await readySource()).body);
      const { data, response } = await api.client.POST(TEST_CONNECTION, at(created.name));
      expect(response.status).toBe(200);
      expect(data).toEqual({ success: true });
    });

    it('takes no fields: an empty body is fine, a field is refused as unknown, like refresh_tables', async () => {
      const created = await create((await readySource()).body);
      for (const action of ['test_connection', 'refresh_tables']) {
        const path = `${PATH}/${created.name}/${action}`;
        expect((await rawRequest('POST', path, {})).status).toBe(200);
        const refused = await rawRequest('POST', path, { database: 'other', port: 5433 });
        expect(refused.status).toBe(422);
        expect(await refused.json()).toEqual({
          summary: 'Unknown field: database',
          validation_errors: { database: ['unknown field'], port: ['unknown field'] },
        });
        const listed = await rawRequest('POST', path, ['database']);
        expect(listed.status).toBe(400);
        expect(await listed.json()).toEqual({ summary: 'Request body must be a JSON object' });
      }
    });

    it('reports a slot or publication dropped since, and a source that moved away', async () => {
      const { src, body } = await readySource();
      const created = await create(body);
      const slot = body.replication_slots[0]!.slot_name;

      await src.client.query('SELECT pg_drop_replication_slot($1)', [slot]);
      const noSlot = await failure(created.id, {
        replication_slots: { slot_name: [`slot "${slot}" does not exist in database "${src.name}"`] },
      });
      expect(noSlot.reason).toBe(`slot "${slot}" does not exist in database "${src.name}"`);

      await src.client.query('DROP PUBLICATION sluice_pub');
      await failure(created.id, {
        replication_slots: { publication_name: [`publication "sluice_pub" does not exist in database "${src.name}"`] },
      });

      await metadata(async (c) =>
        c.query('UPDATE postgres_databases SET port = $1 WHERE id = $2', [await freePort(), created.id]),
      );
      const unreachable = await failure(created.id, {
        hostname: [expect.stringMatching(/^could not connect: .*ECONNREFUSED/)],
      });
      expect(unreachable.reason).toMatch(/^could not connect/);
    });
  });

  describe('refresh_tables', () => {
    it('picks up a table created since, and answers 502 when the source fails', async () => {
      const { src, body } = await readySource();
      const created = await create(body);
      expect(created.tables).toEqual([]);
      await src.client.query('CREATE TABLE later (a int, b text, PRIMARY KEY (b, a))');

      const { data, response } = await api.client.POST(REFRESH_TABLES, at(created.name));
      expect(response.status).toBe(200);
      expect(data).toEqual({ success: true });
      const after = await api.client.GET(ONE, at(created.id));
      expect(after.data!.tables).toEqual([
        {
          schema: 'public',
          name: 'later',
          primary_key: ['b', 'a'],
          columns: [
            { name: 'a', type: 'integer' },
            { name: 'b', type: 'text' },
          ],
        },
      ]);

      await src.client.query('DROP PUBLICATION sluice_pub');
      const dropped = await api.client.POST(REFRESH_TABLES, at(created.id));
      expect(dropped.response.status).toBe(502);
      expect(dropped.error).toEqual({ summary: expect.stringContaining('publication "sluice_pub" does not exist') });

      await metadata(async (c) =>
        c.query('UPDATE postgres_databases SET port = $1 WHERE id = $2', [await freePort(), created.id]),
      );
      const unreachable = await api.client.POST(REFRESH_TABLES, at(created.id));
      expect(unreachable.response.status).toBe(502);
      expect((await api.client.GET(ONE, at(created.id))).data!.tables).toEqual(after.data!.tables);
    });
  });

  describe('tenancy', () => {
    it('answers 404 to another account on every route, and keeps the database out of its list', async () => {
      const created = await create((await readySource()).body);
      const other = await signupAccount(api);
      for (const idOrName of [created.id, created.name]) {
        expect((await other.client.GET(ONE, at(idOrName))).response.status).toBe(404);
        expect(
          (await other.client.PUT(ONE, { ...at(idOrName), body: { annotations: { x: 1 } } })).response.status,
        ).toBe(404);
        expect(
          (await other.client.PATCH(ONE, { ...at(idOrName), body: { annotations: { x: 1 } } })).response.status,
        ).toBe(404);
        expect((await other.client.POST(TEST_CONNECTION, at(idOrName))).response.status).toBe(404);
        expect((await other.client.POST(REFRESH_TABLES, at(idOrName))).response.status).toBe(404);
        expect((await other.client.DELETE(ONE, at(idOrName))).response.status).toBe(404);
      }
      expect(await names(other.client)).toEqual([]);
      expect((await api.client.GET(ONE, at(created.id))).data).toEqual(created);
    });

    it('lets two accounts use the same database name', async () => {
      const { body } = await readySource();
      const other = await signupAccount(api);
      await create(body);
      const { body: second } = await readySource();
      expect((await create({ ...second, name: body.name }, other.client)).name).toBe(body.name);
    });
  });
});
