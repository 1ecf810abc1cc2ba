import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import pg from 'pg';
import { findPostgresBinaries, startPostgresServer, type PostgresServer } from '#core/embedded/postgres-server.js';
import { startRedisServer, type RedisServer } from '#core/embedded/redis-server.js';
import type { BenchSettings } from './settings.js';

/** Which private Postgres: the source databases' or Sluice's metadata's. */
export type BenchServer = 'source' | 'metadata';

/**
 * The servers of one bench run, on free ports in a temp directory: a private Postgres for the source
 * databases, another for Sluice's metadata databases, and a private Redis (Sluice's internal Redis
 * and the sink Redis). The metadata has its own server as it has in production (DATABASE_URL is
 * Sluice's database, not the user's): on one server, the slot's walsender read every byte of WAL
 * the Sequin Stream store wrote, and the store's commits waited on the source's WAL flushes.
 */
export interface BenchEnvironment {
  postgres: PostgresServer;
  metadataPostgres: PostgresServer;
  redis: RedisServer;
  /** Where the servers live and log. */
  dir: string;
  /** `pg_recvlogical` of the server's version, if found. */
  pgRecvlogical: string | undefined;
  /** `redis-benchmark`, if found. */
  redisBenchmark: string | undefined;
  /** URL of database `name` on the source server. */
  databaseUrl(name: string): string;
  /** Creates (or re-creates) a database on the source server (or the metadata server) and returns its URL. */
  createDatabase(name: string, server?: BenchServer): Promise<string>;
  dropDatabase(name: string, server?: BenchServer): Promise<void>;
  /**
   * Between cases: a CHECKPOINT, so that a case does not pay for the previous one's dirty pages (a
   * checkpoint spread over the next minute put 50–90 ms spikes into the latency case's tail).
   */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEnvironment(
  settings: BenchSettings,
  log: (message: string) => void,
): Promise<BenchEnvironment> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  // Run as root, Postgres runs as the postgres user, which must be able to enter this directory.
  await chmod(dir, 0o711);
  const logs: WriteStream[] = [];
  const logFile = (name: string): ((line: string) => void) => {
    const stream = createWriteStream(join(dir, name), { flags: 'a' });
    logs.push(stream);
    return (line) => stream.write(`${line}\n`);
  };
  let postgres: PostgresServer | undefined;
  let metadataPostgres: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  const stop = async (): Promise<void> => {
    await Promise.all([redis?.stop(), postgres?.stop(), metadataPostgres?.stop()]);
    await Promise.all(logs.map((stream) => new Promise((resolve) => stream.end(resolve))));
    if (settings.keep) log(`kept ${dir} (BENCH_KEEP)`);
    else await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    postgres = await startPostgresServer({
      dataDir: join(dir, 'postgres'),
      fast: !settings.pgFsync,
      log: logFile('postgres.log'),
    });
    metadataPostgres = await startPostgresServer({
      dataDir: join(dir, 'postgres-metadata'),
      fast: !settings.pgFsync,
      log: logFile('postgres-metadata.log'),
    });
    redis = await startRedisServer({ dir: join(dir, 'redis'), log: logFile('redis.log') });
  } catch (error) {
    await stop();
    throw error;
  }
  log(
    `Postgres on ports ${postgres.port} (sources) and ${metadataPostgres.port} (metadata), fsync ` +
      `${settings.pgFsync ? 'on' : 'off'}; Redis on port ${redis.port}; in ${dir}`,
  );
  const servers = { source: postgres, metadata: metadataPostgres };
  const urlOf = (name: string, server: BenchServer = 'source'): string => {
    const url = new URL(servers[server].url);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const admin = async (sql: string, server: BenchServer): Promise<void> => {
    const client = new pg.Client(servers[server].url);
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    postgres,
    metadataPostgres,
    redis,
    dir,
    pgRecvlogical: await findPgRecvlogical(),
    redisBenchmark: findOnPath('redis-benchmark', ['/usr/bin', '/usr/local/bin']),
    databaseUrl: (name) => urlOf(name),
    async createDatabase(name, server = 'source') {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, server);
      await admin(`CREATE DATABASE ${name}`, server);
      return urlOf(name, server);
    },
    async dropDatabase(name, server = 'source') {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, server);
    },
    async settle() {
      await Promise.all([admin('CHECKPOINT', 'source'), admin('CHECKPOINT', 'metadata')]);
    },
    stop,
  };
}

/** pg_recvlogical beside the server binaries the embedded server uses (same major version), else on PATH. */
async function findPgRecvlogical(): Promise<string | undefined> {
  for await (const binaries of findPostgresBinaries()) {
    const candidate = join(dirname(binaries.postgres), 'pg_recvlogical');
    if (existsSync(candidate)) return candidate;
    break; // The server runs the first binaries found; another version's client would not be comparable.
  }
  return findOnPath('pg_recvlogical', []);
}

function findOnPath(binary: string, extraDirs: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...extraDirs];
  return dirs.map((dir) => join(dir, binary)).find((path) => existsSync(path));
}
