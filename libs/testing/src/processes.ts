import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SluiceConfig } from '#core/config/config.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface SpawnedProcess {
  child: ChildProcess;
  /** What the process wrote, for failure messages. */
  output(): string;
  /** SIGKILL: no shutdown hooks, no goodbye to Postgres or Redis. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<void>;
}

/** A worker role in its own OS process, with the same configuration as the test's API. */
export function spawnWorker(config: SluiceConfig): SpawnedProcess {
  const child = spawn(process.execPath, ['--import', './libs/testing/src/register-ts.mjs', 'apps/worker/src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: config.databaseUrl,
      REDIS_URL: config.redisUrl,
      SLUICE_VAULT_KEY: config.vaultKey.toString('base64'),
      SLUICE_REDIS_PREFIX: config.redisPrefix,
      SLUICE_LEASE_MS: String(config.leaseMs),
      LOG_LEVEL: process.env.SLUICE_TEST_WORKER_LOG_LEVEL ?? 'warn',
      SLUICE_MIGRATE: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
