import { randomBytes } from 'node:crypto';
import { testConfig } from '#testing/config.js';
import {
  createMetadataDatabase,
  createSourceDatabase,
  type MetadataDatabase,
  randomSuffix,
  type SourceDatabase,
  testRedisUrl,
  waitFor,
  withClient,
} from '#testing/databases.js';
import { type EntryProcess, type LogLine, spawnEntry } from '#testing/entry-process.js';

const REFUSE_INSERTS = `
  CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'metadata database refused the insert'; END $$;
  CREATE TRIGGER refuse_insert BEFORE INSERT ON postgres_databases FOR EACH ROW EXECUTE FUNCTION refuse_insert();`;
const ALLOW_INSERTS = 'DROP TRIGGER refuse_insert ON postgres_databases; DROP FUNCTION refuse_insert();';

// The API as `npm run start:api` runs it, its pino output captured: what an operator's log store receives.
describe('API error ids and secrets in the logs', () => {
  let metadata: MetadataDatabase;
  let source: SourceDatabase;
  let api: EntryProcess;
  let apiUrl: string;
  const token = `logs-${randomBytes(16).toString('hex')}`;
  const publication = `pub_${randomSuffix()}`;
  const passwords = [1, 2, 3, 4].map(() => `pw-${randomBytes(8).toString('hex')}`);

  beforeAll(async () => {
    metadata = await createMetadataDatabase();
    source = await createSourceDatabase({ publication });
    const config = testConfig({ databaseUrl: metadata.url });
    api = spawnEntry('api', {
      env: {
        DATABASE_URL: metadata.url,
        REDIS_URL: testRedisUrl(),
        SLUICE_VAULT_KEY: config.vaultKey.toString('base64'),
        SLUICE_REDIS_PREFIX: config.redisPrefix,
        SLUICE_BOOTSTRAP_TOKEN: token,
        SLUICE_MIGRATE: 'false',
        PORT: '0',
        // Everything the app can log, so a secret in any debug line shows up here.
        LOG_LEVEL: 'trace',
      },
    });
    const listening = await api.waitForLogLine((line) => /^API listening at /.test(line.msg ?? ''));
    apiUrl = /(http:\/\/\S+\/api)$/.exec(listening.msg!)![1]!;
  });

  afterAll(async () => {
    await api?.kill();
    await metadata?.drop();
    await source?.drop();
  });

  /** The source's URL with credentials, in the `url` form of a database create. */
  const sourceUrlWithPassword = (password: string): string => {
    const url = new URL(source.url);
    url.password = password;
    return url.toString();
  };
  const createDatabase = async (body: Record<string, unknown>) => {
    const response = await fetch(`${apiUrl}/postgres_databases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const slot = (name = `slot_${randomSuffix()}`) => ({
    replication_slots: [{ publication_name: publication, slot_name: name }],
    create_slot_if_missing: true,
  });

  it('answers a failing metadata query with 500 and an error id that the logged error line carries', async () => {
    await withClient(metadata.url, (client) => client.query(REFUSE_INSERTS));
    let response: Awaited<ReturnType<typeof createDatabase>>;
    try {
      response = await createDatabase({ name: 'refused', url: sourceUrlWithPassword(passwords[0]!), ...slot() });
    } finally {
      await withClient(metadata.url, (client) => client.query(ALLOW_INSERTS));
    }
    expect(response.status).toBe(500);
    const errorId = response.body.error_id as string;
    expect(errorId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.body.summary).toContain(errorId);
    expect(JSON.stringify(response.body)).not.toContain('refused the insert');

    const logged = await api.waitForLogLine((line) => line.level === 50 && line.error_id === errorId);
    expect(logged.msg).toContain(errorId);
    expect((logged.err as { message?: string }).message).toContain('metadata database refused the insert');
    expect(logged).toMatchObject({ context: 'ApiExceptionFilter', req: { url: '/api/postgres_databases' } });
  });

  it('logs requests without the Authorization token and database creates without their passwords', async () => {
    const byUrl = await createDatabase({ name: 'by-url', url: sourceUrlWithPassword(passwords[1]!), ...slot() });
    expect(byUrl.status).toBe(201);
    const { hostname, port, pathname } = new URL(source.url);
    const byFields = await createDatabase({
      name: 'by-fields',
      hostname,
      port: Number(port),
      database: pathname.slice(1),
      username: 'postgres',
      password: passwords[2],
      ...slot(),
    });
    expect(byFields.status).toBe(201);
    const refused = await createDatabase({
      name: 'no-such-publication',
      url: sourceUrlWithPassword(passwords[3]!),
      replication_slots: [{ publication_name: 'no_such_publication', slot_name: `slot_${randomSuffix()}` }],
    });
    expect(refused.status).toBe(422);

    // All four creates (with the 500 above) are in the log, each with the header present but censored.
    const isCreate = (line: LogLine): boolean =>
      line.res !== undefined && (line.req as { url?: string } | undefined)?.url === '/api/postgres_databases';
    await waitFor(async () => api.logLines().filter(isCreate).length === 4, {
      message: 'the four database creates were not logged',
    });
    for (const line of api.logLines().filter(isCreate)) {
      expect(line).toMatchObject({ req: { method: 'POST', headers: { authorization: '[redacted]' } } });
    }
    // A token sent in the URL is refused, and the request's log line masks it.
    const inUrl = await fetch(`${apiUrl}/account?access_token=${token}`);
    expect(inUrl.status).toBe(401);
    const refusedLine = await api.waitForLogLine(
      (line) =>
        line.res !== undefined && ((line.req as { url?: string } | undefined)?.url ?? '').startsWith('/api/account?'),
    );
    expect(refusedLine).toMatchObject({ req: { url: '/api/account?access_token=***' } });
    const text = `${api.stdout()}\n${api.stderr()}`;
    expect(text).not.toContain(token);
    for (const password of passwords) expect(text).not.toContain(password);
  });
});
