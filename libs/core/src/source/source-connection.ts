import pg from 'pg';
import type { Vault } from '../crypto/vault.js';
import type { PostgresDatabase } from '../entities/postgres-database.entity.js';
import { lsnToBigInt } from './lsn.js';

export interface SourceConnectionParams {
  hostname: string;
  port: number;
  database: string;
  username: string;
  password: string;
  ssl: boolean;
}

export const SOURCE_CONNECT_TIMEOUT_MS = 5000;
export const SOURCE_QUERY_TIMEOUT_MS = 10000;

export function sourceConnectionParams(db: PostgresDatabase, vault: Vault): SourceConnectionParams {
  return {
    hostname: db.hostname,
    port: db.port,
    database: db.database,
    username: db.username,
    password: vault.decrypt(db.passwordEncrypted),
    ssl: db.ssl,
  };
}

export function sourceClientConfig(params: SourceConnectionParams, extra: pg.ClientConfig = {}): pg.ClientConfig {
  return {
    host: params.hostname,
    port: params.port,
    database: params.database,
    user: params.username,
    password: params.password,
    ssl: params.ssl ? { rejectUnauthorized: false } : false,
    connectionTimeoutMillis: SOURCE_CONNECT_TIMEOUT_MS,
    query_timeout: SOURCE_QUERY_TIMEOUT_MS,
    application_name: 'sluice',
    ...extra,
  };
}

/** Opens a short-lived connection to the user's database, runs fn, always closes it. */
export async function withSourceClient<T>(
  params: SourceConnectionParams,
  fn: (client: pg.Client) => Promise<T>,
  extra: pg.ClientConfig = {},
): Promise<T> {
  const client = new pg.Client(sourceClientConfig(params, extra));
  client.on('error', () => undefined); // a dropped connection surfaces as the failing query's error
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The source's current WAL insert position, as an integer in decimal text. */
export async function currentWalLsn(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  return lsnToBigInt(rows[0]!.lsn).toString();
}
