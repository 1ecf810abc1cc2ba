import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { SluiceConfig } from '#core/config/config.js';
import { waitFor } from './databases.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** An API role in its own OS process, to kill with SIGKILL (no shutdown hooks run). */
export interface ApiProcess {
  child: ChildProcess;
  baseUrl: string;
  /** Resolves once /health answers. */
  ready: Promise<void>;
  output(): string;
  kill9(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts it with the configuration (database, Redis, prefix, vault key, bootstrap token) of `config`. */
export async function spawnApi(config: SluiceConfig, readyTimeoutMs = 60_000): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', './libs/testing/src/register-ts.mjs', 'apps/api/src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      DATABASE_URL: config.databaseUrl,
      REDIS_URL: config.redisUrl,
      SLUICE_VAULT_KEY: config.vaultKey.toString('base64'),
      SLUICE_REDIS_PREFIX: config.redisPrefix,
      SLUICE_BOOTSTRAP_TOKEN: config.bootstrapToken,
      SLUICE_BOOTSTRAP_ACCOUNT: config.bootstrapAccount,
      LOG_LEVEL: 'warn',
      SLUICE_MIGRATE: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const ready: Promise<void> = waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the API process exited: ${output}`);
      return (await fetch(`${baseUrl}/health`).catch(() => undefined))?.ok;
    },
    { timeoutMs: readyTimeoutMs, intervalMs: 100, message: 'the spawned API to answer /health' },
  ).then(() => undefined);
  ready.catch(() => undefined); // awaited by the test
  return {
    child,
    baseUrl,
    ready,
    output: () => output,
    async kill9() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
