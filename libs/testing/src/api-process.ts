import type { ChildProcess } from 'node:child_process';
import type { SluiceConfig } from '#core/config/config.js';
import { freePort } from '#core/embedded/free-port.js';
import { waitFor } from './databases.js';
import { spawnEntry } from './entry-process.js';
import { roleEnv } from './processes.js';

/** An API role in its own OS process, to kill with SIGKILL (no shutdown hooks run). */
export interface ApiProcess {
  child: ChildProcess;
  baseUrl: string;
  /** Resolves once /health answers. */
  ready: Promise<void>;
  output(): string;
  kill9(): Promise<void>;
}

/** Starts it with the configuration (database, Redis, prefix, vault key, bootstrap token) of `config`. */
export async function spawnApi(config: SluiceConfig, readyTimeoutMs = 60_000): Promise<ApiProcess> {
  const port = await freePort();
  const api = spawnEntry('api', { env: { ...roleEnv(config), PORT: String(port) } });
  const baseUrl = `http://127.0.0.1:${port}`;
  const ready: Promise<void> = waitFor(
    async () => {
      if (api.child.exitCode !== null) throw new Error(`the API process exited: ${api.output()}`);
      return (await fetch(`${baseUrl}/health`).catch(() => undefined))?.ok;
    },
    { timeoutMs: readyTimeoutMs, intervalMs: 100, message: 'the spawned API to answer /health' },
  ).then(() => undefined);
  ready.catch(() => undefined); // awaited by the test
  return { child: api.child, baseUrl, ready, output: api.output, kill9: api.kill };
}
