import type { ChildProcess } from 'node:child_process';
import { Queue } from 'bullmq';
import type { SluiceConfig } from '#core/config/config.js';
import { QueueNames } from '#core/queues/queue-names.js';
import { spawnEntry } from './entry-process.js';
import { hasLocalPort } from './process-tree.js';

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

/**
 * The environment of a role process that joins the test's Sluice: the same metadata database, Redis,
 * prefix, vault key and bootstrap account; no migrations (the harness ran them), no metrics port.
 */
export function roleEnv(config: SluiceConfig): Record<string, string> {
  return {
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    SLUICE_VAULT_KEY: config.vaultKey.toString('base64'),
    SLUICE_REDIS_PREFIX: config.redisPrefix,
    SLUICE_LEASE_MS: String(config.leaseMs),
    ...(config.bootstrapToken ? { SLUICE_BOOTSTRAP_TOKEN: config.bootstrapToken } : {}),
    SLUICE_BOOTSTRAP_ACCOUNT: config.bootstrapAccount,
    SLUICE_MIGRATE: 'false',
    SLUICE_WORKER_METRICS_PORT: '0',
    LOG_LEVEL: process.env.SLUICE_TEST_WORKER_LOG_LEVEL ?? 'warn',
  };
}

export interface SpawnWorkerOptions {
  /** More environment variables, e.g. `NODE_EXTRA_CA_CERTS` for a sink Redis with a test CA. */
  env?: Record<string, string>;
  /** Node options, e.g. `--expose-gc` (see `HEAP_PROBE_ARGS`). */
  nodeArgs?: string[];
}

/** A worker role in its own OS process, with the same configuration as the test's API. */
export function spawnWorker(config: SluiceConfig, options: SpawnWorkerOptions = {}): SpawnedProcess {
  const worker = spawnEntry('worker', { env: { ...roleEnv(config), ...options.env }, nodeArgs: options.nodeArgs });
  return {
    child: worker.child,
    output: worker.output,
    kill9: worker.kill,
    async stop() {
      await worker.stop('SIGTERM');
    },
    hasLocalPort: (port) => worker.child.exitCode === null && hasLocalPort(worker.pid, port),
  };
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
