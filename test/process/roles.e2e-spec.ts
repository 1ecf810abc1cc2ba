import { randomBytes } from 'node:crypto';
import { freePort } from '#core/embedded/free-port.js';
import { testConfig } from '#testing/config.js';
import { createMetadataDatabase, type MetadataDatabase, testRedisUrl, waitFor } from '#testing/databases.js';
import { type EntryProcess, spawnEntry } from '#testing/entry-process.js';
import { replicationWorkerCount } from '#testing/processes.js';

// `npm run start:api` and `npm run start:worker`: one role per process, on the servers the harness gives.
describe('one role per process (start:api, start:worker)', () => {
  let metadata: MetadataDatabase;
  let env: Record<string, string>;
  const token = `roles-${randomBytes(12).toString('hex')}`;
  const started: EntryProcess[] = [];

  beforeAll(async () => {
    metadata = await createMetadataDatabase();
    const config = testConfig({ databaseUrl: metadata.url });
    env = {
      DATABASE_URL: metadata.url,
      REDIS_URL: testRedisUrl(),
      SLUICE_VAULT_KEY: config.vaultKey.toString('base64'),
      SLUICE_REDIS_PREFIX: config.redisPrefix,
      SLUICE_BOOTSTRAP_TOKEN: token,
      LOG_LEVEL: 'info',
    };
  });

  afterAll(async () => {
    await Promise.all(started.map((process) => process.kill()));
    await metadata?.drop();
  });

  const start = (...args: Parameters<typeof spawnEntry>): EntryProcess => {
    const process = spawnEntry(...args);
    started.push(process);
    return process;
  };
  const replicationWorkers = () =>
    replicationWorkerCount(testConfig({ databaseUrl: metadata.url, redisPrefix: env.SLUICE_REDIS_PREFIX }));

  it('the API-only process serves /health and the API, and runs no replication worker', async () => {
    const api = start('api', { env: { ...env, PORT: '0' } });
    const listening = await api.waitForLogLine((line) => /^API listening at /.test(line.msg ?? ''));
    const apiUrl = /(http:\/\/\S+\/api)$/.exec(listening.msg!)![1]!;

    const health = await fetch(`${new URL(apiUrl).origin}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    const account = await fetch(`${apiUrl}/account`, { headers: { authorization: `Bearer ${token}` } });
    expect(account.status).toBe(200);
    expect(await replicationWorkers()).toBe(0);

    expect(await api.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('the worker-only process serves its metrics on SLUICE_WORKER_METRICS_PORT and takes replication jobs', async () => {
    const port = await freePort();
    const worker = start('worker', { env: { ...env, SLUICE_WORKER_METRICS_PORT: String(port) } });
    await worker.waitForLogLine((line) => line.msg === `Worker metrics at http://0.0.0.0:${port}/metrics`);

    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toContain('sluice_process_resident_memory_bytes');
    expect(text).toMatch(/^sluice_process_start_time_seconds \d+/m);
    // Only metrics there: the API is not in this process.
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(404);
    await waitFor(async () => (await replicationWorkers()) === 1, {
      message: `the worker did not listen on the replication queue\n${worker.output()}`,
    });

    expect(await worker.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
