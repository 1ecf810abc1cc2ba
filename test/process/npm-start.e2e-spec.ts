import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withClient } from '#testing/databases.js';
import { type EntryProcess, spawnEntry } from '#testing/entry-process.js';
import { descendants, isAlive, isListening, listeningPorts, liveProcesses } from '#testing/process-tree.js';

// `npm start` in a temporary working directory: its embedded servers live in <dir>/.sluice, not the repository's.
describe('npm start (apps/sluice)', () => {
  let dir: string;
  let sluice: EntryProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-start-'));
    // Run as root, the embedded Postgres runs as the postgres user, which must be able to enter it.
    await chmod(dir, 0o711);
  });

  afterAll(async () => {
    await sluice?.kill();
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  });

  it('starts embedded Postgres and Redis, prints URL, docs and token, serves /health; Ctrl-C leaves nothing behind', async () => {
    sluice = spawnEntry('sluice', { cwd: dir, env: { PORT: '0', LOG_LEVEL: 'warn' } });
    const [, apiUrl] = await sluice.waitForStdout(/API: +(http:\/\/127\.0\.0\.1:\d+\/api)\n/, 20_000);
    const [, docsUrl] = await sluice.waitForStdout(/Docs: +(\S+)\n/);
    const [, token] = await sluice.waitForStdout(/Token: +(\S+) +\(bootstrap account "default"\)/);
    const [, postgresUrl] = await sluice.waitForStdout(/Postgres: +(postgresql:\/\/\S+) /);
    const [, redisUrl] = await sluice.waitForStdout(/Redis: +(redis:\/\/\S+) /);
    expect(docsUrl).toBe(`${apiUrl}/docs`);
    expect(token).toBe((await readFile(join(dir, '.sluice', 'bootstrap-token'), 'utf8')).trim());

    const origin = new URL(apiUrl!).origin;
    const health = await fetch(`${origin}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    const account = await fetch(`${apiUrl}/account`, { headers: { authorization: `Bearer ${token}` } });
    expect(account.status).toBe(200);
    expect(await account.json()).toMatchObject({ name: 'default' });
    expect((await fetch(docsUrl!)).status).toBe(200);
    // A clean start warns about nothing (LOG_LEVEL=warn: any line here is a warning or worse).
    expect(sluice.logLines().map((line) => `${line.context ?? ''}: ${line.msg ?? ''}`)).toEqual([]);

    // The embedded servers are its own children, and with the API they are what it listens on.
    const children = descendants(sluice.pid);
    const servers = children.filter((child) => child.ppid === sluice!.pid).map((child) => child.name);
    expect(servers.sort()).toEqual(['postgres', 'redis-server']);
    const ports = listeningPorts([sluice.pid, ...children.map((child) => child.pid)]);
    for (const url of [apiUrl!, postgresUrl!, redisUrl!]) expect(ports).toContain(Number(new URL(url).port));
    // The printed Postgres is usable as a source database, as the README's walk-through uses it.
    const walLevel = await withClient(postgresUrl!, (client) => client.query('SHOW wal_level'));
    expect(walLevel.rows).toEqual([{ wal_level: 'logical' }]);

    // Ctrl-C in a terminal: SIGINT, once.
    expect(await sluice.stop('SIGINT', 15_000)).toEqual({ code: 0, signal: null });
    expect(children.filter((child) => isAlive(child.pid))).toEqual([]);
    expect(ports.filter(isListening)).toEqual([]);
    // Nothing started later (Postgres backends, a restarted server) survives either.
    expect(liveProcesses().filter((p) => p.commandLine.includes(dir))).toEqual([]);
  });
});
