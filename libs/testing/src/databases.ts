import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';

/** Built by globalSetup with the metadata migrations applied; cloned for every metadata database. */
export const TEMPLATE_DATABASE = 'sluice_template';

export interface MetadataDatabase {
  url: string;
  drop(): Promise<void>;
}

export interface SourceDatabase {
  url: string;
  name: string;
  /** Connected to the database; ended by drop(). Lost with its server until `reconnect()`. */
  readonly client: pg.Client;
  /** A new `client`, for a test that restarted the server. */
  reconnect(): Promise<void>;
  drop(): Promise<void>;
}

export interface SourceDatabaseOptions {
  /** Creates this publication FOR ALL TABLES. */
  publication?: string;
  /** Creates this pgoutput logical slot. Slot names are server-wide: make them unique per test. */
  slot?: string;
  /** The server to create the database on (superuser URL). Default the shared test server. */
  serverUrl?: string;
}

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** A function is called at the deadline, so the message can show the last state seen. */
  message?: string | (() => string);
}

function requiredEnv(name: 'SLUICE_TEST_PG_URL' | 'SLUICE_TEST_REDIS_URL'): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests with jest, whose globalSetup starts the test servers`);
  return value;
}

/** The URL of another database on the server `serverUrl` points to. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export function randomSuffix(): string {
  return randomBytes(6).toString('hex');
}

export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** A fresh metadata database, migrated (cloned from the template). */
export async function createMetadataDatabase(): Promise<MetadataDatabase> {
  const serverUrl = requiredEnv('SLUICE_TEST_PG_URL');
  const name = `sluice_meta_${randomSuffix()}`;
  await withClient(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`));
  return { url: databaseUrl(serverUrl, name), drop: once(() => dropDatabase(serverUrl, name)) };
}

/** A fresh, empty database standing for a user's source database, on the test server. */
export async function createSourceDatabase(options: SourceDatabaseOptions = {}): Promise<SourceDatabase> {
  const serverUrl = options.serverUrl ?? requiredEnv('SLUICE_TEST_PG_URL');
  const name = `sluice_source_${randomSuffix()}`;
  await withClient(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  const url = databaseUrl(serverUrl, name);
  const connect = async (): Promise<pg.Client> => {
    const connected = new pg.Client(url);
    // A stopped server ends the connection; the test reconnects, it does not crash.
    connected.on('error', () => undefined);
    await connected.connect();
    return connected;
  };
  let client: pg.Client | undefined;
  const drop = once(async () => {
    await client?.end().catch(() => undefined);
    await dropDatabase(serverUrl, name);
  });
  try {
    client = await connect();
    if (options.publication !== undefined) {
      await client.query(`CREATE PUBLICATION ${pg.escapeIdentifier(options.publication)} FOR ALL TABLES`);
    }
    if (options.slot !== undefined) {
      await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [options.slot]);
    }
  } catch (error) {
    await drop();
    throw error;
  }
  return {
    url,
    name,
    get client() {
      return client!;
    },
    async reconnect() {
      await client?.end().catch(() => undefined);
      client = await connect();
    },
    drop,
  };
}

/** Drops the replication slots of the database (ending the walsenders using them), then the database. */
async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withClient(serverUrl, async (admin) => {
    await waitFor(
      async () => {
        await admin.query(
          `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots
            WHERE database = $1 AND active_pid IS NOT NULL`,
          [name],
        );
        const { rows } = await admin.query<{ slot_name: string }>(
          `SELECT slot_name FROM pg_replication_slots WHERE database = $1 AND active_pid IS NULL`,
          [name],
        );
        for (const { slot_name } of rows) {
          // A walsender may reconnect between the two queries; the next round catches it.
          await admin.query('SELECT pg_drop_replication_slot($1)', [slot_name]).catch(() => undefined);
        }
        const left = await admin.query('SELECT 1 FROM pg_replication_slots WHERE database = $1', [name]);
        return left.rowCount === 0;
      },
      { message: `could not drop the replication slots of database ${name}` },
    );
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}

/** A Redis URL on the test server, optionally selecting a logical database. */
export function testRedisUrl(db?: number): string {
  const url = new URL(requiredEnv('SLUICE_TEST_REDIS_URL'));
  if (db !== undefined) url.pathname = `/${db}`;
  return url.toString();
}

/** Tests share one Redis: give each its own key prefix. */
export function uniqueRedisPrefix(): string {
  return `sluice_test_${randomSuffix()}`;
}

/**
 * Polls `check` until it returns something other than undefined or false, and returns that.
 * Errors thrown by `check` propagate at once. Throws `message` when `timeoutMs` passes first.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  { timeoutMs = 10_000, intervalMs = 50, message }: WaitForOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined && result !== false) return result;
    if (Date.now() > deadline) {
      const text = typeof message === 'function' ? message() : message;
      throw new Error(text ?? `waitFor: condition not met within ${timeoutMs} ms`);
    }
    await delay(intervalMs);
  }
}

function once(action: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= action());
}
