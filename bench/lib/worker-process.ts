import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { SluiceConfig } from '#core/config/config.js';
import { WORKER_NODE_FLAGS } from '#core/config/node-flags.js';

/**
 * The Sluice worker as its own process (`node dist/apps/worker/src/main.js` with WORKER_NODE_FLAGS, as
 * `npm run start:worker` runs it), configured like the bench's in-process API so that both share metadata and queues: its
 * memory is then its own, measurable from /proc.
 */
export interface WorkerProcess {
  pid: number;
  child: ChildProcess;
  /** VmRSS and VmHWM (peak) in MB, or null once the process is gone. */
  memory(): Promise<{ rssMb: number; peakMb: number } | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

const WORKER_MAIN = fileURLToPath(new URL('../../apps/worker/src/main.js', import.meta.url));

export function spawnWorker(config: SluiceConfig, logFile: string): WorkerProcess {
  const log = createWriteStream(logFile, { flags: 'a' });
  // BENCH_WORKER_NODE_FLAGS, e.g. "--trace-gc": flags Node refuses in NODE_OPTIONS.
  const flags = (process.env.BENCH_WORKER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, ['--enable-source-maps', ...WORKER_NODE_FLAGS, ...flags, WORKER_MAIN], {
    env: {
      ...process.env,
      DATABASE_URL: config.databaseUrl,
      REDIS_URL: config.redisUrl,
      SLUICE_VAULT_KEY: config.vaultKey.toString('base64'),
      SLUICE_REDIS_PREFIX: config.redisPrefix,
      SLUICE_LEASE_MS: String(config.leaseMs),
      SLUICE_MIGRATE: 'false',
      SLUICE_WORKER_METRICS_PORT: '0',
      LOG_LEVEL: config.logLevel,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => log.end());
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${WORKER_MAIN}`);
  return {
    pid,
    child,
    async memory() {
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
      if (status === null || child.exitCode !== null) return null;
      const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
      return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
