import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import type { SluiceConfig } from '#core/config/config.js';
import { QueueNames } from '#core/queues/queue-names.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface SpawnedProcess {
  child: ChildProcess;
  /** What the process wrote, for failure messages. */
  output(): string;
  /** SIGKILL: no shutdown hooks, no goodbye to Postgres or Redis. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<void>;
  /**
   * Whether the process has a TCP connection from local port `port` (Linux /proc): tells which worker
   * holds a connection the server side knows by its client port, e.g. a slot's walsender.
   */
  hasLocalPort(port: number): boolean;
}

export interface SpawnWorkerOptions {
  /** More environment variables, e.g. `NODE_EXTRA_CA_CERTS` for a sink Redis with a test CA. */
  env?: Record<string, string>;
}

/** A worker role in its own OS process, with the same configuration as the test's API. */
export function spawnWorker(config: SluiceConfig, options: SpawnWorkerOptions = {}): SpawnedProcess {
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
      ...options.env,
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
    hasLocalPort(port) {
      return child.pid !== undefined && child.exitCode === null && hasLocalPort(child.pid, port);
    },
  };
}

function hasLocalPort(pid: number, port: number): boolean {
  const sockets = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) sockets.add(inode);
  }
  for (const table of ['tcp', 'tcp6']) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns.length < 10) continue;
      const localPort = Number.parseInt(columns[1]!.split(':').at(-1)!, 16);
      if (localPort === port && sockets.has(columns[9]!)) return true;
    }
  }
  return false;
}

/**
 * How many processes (spawned or in-process) listen on the replication queue of this configuration:
 * a spawned worker counts once it is ready to take a slot over.
 */
export async function replicationWorkerCount(config: SluiceConfig): Promise<number> {
  const queue = new Queue(QueueNames.replication, { connection: { url: config.redisUrl }, prefix: config.redisPrefix });
  try {
    return await queue.getWorkersCount();
  } finally {
    await queue.close();
  }
}
