import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { spawnManaged, type ManagedProcess } from './managed-process.js';

export interface RedisServerOptions {
  /** Working directory of the server: where the AOF lives when persistent. */
  dir: string;
  /** Default: a free port. */
  port?: number;
  /** Append-only file on; otherwise nothing is written to disk. */
  persistent?: boolean;
  log?: (line: string) => void;
  /** How long to wait for PING to answer. Default 30 s. */
  startTimeoutMs?: number;
  /** More server options (e.g. `--tls-port …`); the plain port stays, for the readiness check. */
  extraArgs?: string[];
}

export interface RedisServer {
  url: string;
  port: number;
  pid: number;
  /** Resolves when the server process is gone. */
  stop(): Promise<void>;
}

const START_ATTEMPTS_ON_PORT_CLASH = 3;

export function findRedisServer(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/usr/local/bin'];
  return dirs.map((dir) => join(dir, 'redis-server')).find((path) => existsSync(path));
}

export async function startRedisServer(options: RedisServerOptions): Promise<RedisServer> {
  const binary = findRedisServer();
  if (binary === undefined) {
    throw new Error(
      'redis-server was not found on PATH: install Redis (e.g. `apt-get install redis-server`) ' +
        'or set REDIS_URL to an existing Redis',
    );
  }
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const persistence = options.persistent ? ['--appendonly', 'yes'] : ['--save', '', '--appendonly', 'no'];

  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const args = ['--port', `${port}`, '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no', ...persistence];
    args.push(...(options.extraArgs ?? []));
    const server = spawnManaged('redis-server', binary, args, { parentDeathSignal: 'SIGTERM', log: options.log });
    try {
      await waitUntilAnswering(server, port, options.startTimeoutMs ?? 30_000);
    } catch (error) {
      await server.stop('SIGKILL', 5_000);
      const portClash = server.recentOutput().includes('Address already in use');
      if (portClash && options.port === undefined && attempt < START_ATTEMPTS_ON_PORT_CLASH) continue;
      throw error;
    }
    let stopping: Promise<void> | undefined;
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      pid: server.pid,
      stop: () => (stopping ??= server.stop('SIGTERM', 30_000)),
    };
  }
}

async function waitUntilAnswering(server: ManagedProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.hasExited) throw new Error(`redis-server exited while starting:\n${server.recentOutput()}`);
    // Comparing the pid makes sure we reached our server, not another one that took the port.
    if ((await serverPidAt(port)) === server.pid) return;
    if (Date.now() > deadline) {
      throw new Error(`redis-server did not answer PING within ${timeoutMs} ms:\n${server.recentOutput()}`);
    }
    await delay(50);
  }
}

async function serverPidAt(port: number): Promise<number | undefined> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    // disconnect() otherwise keeps a 2 s timer alive after a refused connection.
    disconnectTimeout: 0,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    if ((await client.ping()) !== 'PONG') return undefined; // LOADING a large AOF answers with an error.
    return Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}
