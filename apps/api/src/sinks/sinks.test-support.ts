import pg from 'pg';
import type { components } from '#testing/api-schema.js';
import { createSourceDatabase, randomSuffix, type SourceDatabase } from '#testing/databases.js';
import { type ApiClient, signupAccount, type TestApi } from '#testing/test-api.js';

export type CreateSinkBody = components['schemas']['CreateSinkDto'];
export type SinkBody = components['schemas']['SinkDto'];
type CreateDatabaseBody = components['schemas']['CreatePostgresDatabaseDto'];

const PUBLICATION = 'sluice_sinks_test';

/** A source database with the tables sinks in these tests choose from. */
export async function createSinkSource(): Promise<SourceDatabase> {
  const source = await createSourceDatabase();
  await source.client.query(`
    CREATE TABLE public.orders (id int PRIMARY KEY, customer_id int NOT NULL, total numeric);
    CREATE TABLE public.users (id int PRIMARY KEY, email text);
    CREATE SCHEMA billing;
    CREATE TABLE billing.invoices (id int PRIMARY KEY, amount numeric);`);
  return source;
}

/** Registers `source` as a database of the client's account, through the API, with a slot of its own. */
export async function registerDatabase(client: ApiClient, source: SourceDatabase, name: string) {
  const body = {
    name,
    url: source.url,
    replication_slots: [{ publication_name: PUBLICATION, slot_name: `sluice_sinks_${randomSuffix()}` }],
    create_slot_if_missing: true,
    create_publication_if_missing: true,
  };
  const { data, error } = await client.POST('/api/postgres_databases', { body: body as CreateDatabaseBody });
  if (!data) throw new Error(`could not register database ${name}: ${JSON.stringify(error)}`);
  return data;
}

/** A fresh account with one registered database named `db`. */
export async function newTenant(api: TestApi, source: SourceDatabase) {
  const { client, account } = await signupAccount(api);
  const database = await registerDatabase(client, source, 'db');
  return { client, account, database };
}

export const redisStream = (overrides: Partial<CreateSinkBody> = {}): CreateSinkBody => ({
  name: `sink-${randomSuffix()}`,
  database: 'db',
  destination: { type: 'redis_stream', host: 'localhost', stream_key: 'changes' },
  ...overrides,
});

/** The source's WAL insert position as an integer (the marker a sink creation writes may not be flushed yet). */
export async function currentLsn(source: SourceDatabase): Promise<bigint> {
  const { rows } = await source.client.query<{ lsn: string }>(
    `SELECT (pg_current_wal_insert_lsn() - '0/0')::text AS lsn`,
  );
  return BigInt(rows[0]!.lsn);
}

export async function queryMetadata<R extends pg.QueryResultRow>(
  api: TestApi,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: api.config.databaseUrl });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
