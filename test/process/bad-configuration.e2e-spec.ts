import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databaseUrl, testRedisUrl } from '#testing/databases.js';
import { type EntryPoint, spawnEntry } from '#testing/entry-process.js';

/** What a process printed when it refused to start. */
async function refusal(entry: EntryPoint, env: Record<string, string>, cwd?: string) {
  const process = spawnEntry(entry, { env, cwd });
  try {
    const status = await process.waitForExit(20_000);
    return { status, stderr: process.stderr(), stdout: process.stdout() };
  } finally {
    await process.kill();
  }
}

// Bad configuration stops start-up with one line on stderr naming the variable, and nothing else.
describe('bad configuration', () => {
  let good: Record<string, string>;

  beforeAll(() => {
    good = {
      // The server's own database, never the template: a connection to it would block cloning.
      DATABASE_URL: process.env.SLUICE_TEST_PG_URL!,
      REDIS_URL: testRedisUrl(),
      SLUICE_VAULT_KEY: randomBytes(32).toString('base64'),
      SLUICE_REDIS_PREFIX: `bad_config_${randomBytes(4).toString('hex')}`,
      SLUICE_MIGRATE: 'false',
      PORT: '0',
    };
  });

  const cases: Array<[string, EntryPoint, () => Record<string, string>, RegExp]> = [
    ['PORT=abc', 'api', () => ({ ...good, PORT: 'abc' }), /^PORT: must be an integer from 0 to 65535, got "abc"$/],
    [
      'SLUICE_WORKER_METRICS_PORT=abc',
      'worker',
      () => ({ ...good, SLUICE_WORKER_METRICS_PORT: 'abc' }),
      /^SLUICE_WORKER_METRICS_PORT: must be an integer/,
    ],
    [
      'an unreachable DATABASE_URL (npm start, migrations on)',
      'sluice',
      () => ({ ...good, DATABASE_URL: 'postgres://127.0.0.1:1/x', SLUICE_MIGRATE: 'true' }),
      /^DATABASE_URL: cannot connect to 127\.0\.0\.1:1 \(ECONNREFUSED\)$/,
    ],
    [
      'an unreachable DATABASE_URL (start:worker)',
      'worker',
      () => ({ ...good, DATABASE_URL: 'postgres://127.0.0.1:1/x' }),
      /^DATABASE_URL: cannot connect to 127\.0\.0\.1:1 \(ECONNREFUSED\)$/,
    ],
    [
      'a DATABASE_URL naming a missing database',
      'api',
      () => ({ ...good, DATABASE_URL: databaseUrl(process.env.SLUICE_TEST_PG_URL!, 'no_such_db') }),
      /^DATABASE_URL: cannot connect to 127\.0\.0\.1:\d+ \(database "no_such_db" does not exist\)$/,
    ],
    [
      'an unreachable REDIS_URL',
      'api',
      () => ({ ...good, REDIS_URL: 'redis://127.0.0.1:1' }),
      /^REDIS_URL: cannot connect to 127\.0\.0\.1:1 \(ECONNREFUSED\)$/,
    ],
  ];

  it.each(cases)('%s: exit 1 with one line naming the variable', async (_label, entry, env, message) => {
    const { status, stderr, stdout } = await refusal(entry, env());
    expect(status).toEqual({ code: 1, signal: null });
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^sluice: configuration error: /);
    expect(lines[0]!.replace('sluice: configuration error: ', '')).toMatch(message);
    expect(stdout).toBe('');
  });

  it('npm run migrate with an unreachable DATABASE_URL: exit 1 with one line', async () => {
    const { status, stderr } = await refusal('migrate', { DATABASE_URL: 'postgres://127.0.0.1:1/x' });
    expect(status).toEqual({ code: 1, signal: null });
    expect(stderr).toBe('DATABASE_URL: cannot connect to 127.0.0.1:1 (ECONNREFUSED)\n');
  });

  it.each([
    ['not a url', 'DATABASE_URL: is not a valid URL\n'],
    ['mysql://127.0.0.1/x', 'DATABASE_URL: must start with postgres:// or postgresql://\n'],
  ])('npm run migrate with DATABASE_URL=%s: exit 1 with one line naming it', async (url, line) => {
    const { status, stderr } = await refusal('migrate', { DATABASE_URL: url });
    expect(status).toEqual({ code: 1, signal: null });
    expect(stderr).toBe(line);
  });

  it('npm start with a vault key of the wrong length refuses before creating .sluice/', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-bad-config-'));
    try {
      await chmod(dir, 0o711);
      const { status, stderr, stdout } = await refusal('sluice', { SLUICE_VAULT_KEY: 'c2hvcnQ=' }, dir);
      expect(status).toEqual({ code: 1, signal: null });
      expect(stderr).toBe(
        'sluice: configuration error: SLUICE_VAULT_KEY: must be 32 bytes encoded as base64 (e.g. `openssl rand -base64 32`)\n',
      );
      expect(stdout).toBe('');
      expect(existsSync(join(dir, '.sluice'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
