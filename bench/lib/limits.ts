import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { nowMs } from './clock.js';

/**
 * The machine's own limits, measured in the same run on the same data as the product: how fast bare
 * tools decode the slot and write the stream with nothing of Sluice in the way.
 */
export interface RateMeasurement {
  /** Units per second. */
  rate: number;
  seconds: number;
  count: number;
  /** Share of the machine's CPU other processes took meanwhile (set by the case). */
  othersShare?: number | null;
}

/**
 * `pg_recvlogical --start … --endpos` on a test_decoding slot created at the same point as Sluice's:
 * Postgres' own C client decoding the same changes, output thrown away.
 */
export async function pgRecvlogicalRate(
  binary: string,
  databaseUrl: string,
  slot: string,
  endLsn: string,
  changes: number,
  timeoutMs: number,
): Promise<RateMeasurement> {
  const args = ['-d', databaseUrl, '-S', slot, '--start', '--no-loop', '-f', '/dev/null', '--endpos', endLsn];
  const started = nowMs();
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve(exitCode));
  }).finally(() => clearTimeout(timer));
  const seconds = (nowMs() - started) / 1000;
  if (code !== 0) throw new Error(`pg_recvlogical exited with ${code}: ${stderr.trim()}`);
  return { rate: changes / seconds, seconds, count: changes };
}

/**
 * A bare Node pgoutput reader (pg-logical-replication as STACK-NOTES measured it at its fastest: no
 * automatic acknowledgement, flow control on) reading a pgoutput slot until it has seen `changes` row
 * changes. Decoding only: nothing is built or sent per change.
 */
export async function bareNodeDecodeRate(
  databaseUrl: string,
  slot: string,
  publication: string,
  changes: number,
  timeoutMs: number,
): Promise<RateMeasurement> {
  const service = new LogicalReplicationService(
    { connectionString: databaseUrl },
    { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
  );
  const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [publication] });
  let seen = 0;
  const started = nowMs();
  let finished = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`bare pgoutput reader saw ${seen} of ${changes} changes in ${timeoutMs} ms`)),
        timeoutMs,
      );
      service.on('data', (_lsn: string, message: Pgoutput.Message) => {
        if (message.tag === 'insert' || message.tag === 'update' || message.tag === 'delete') {
          if (++seen === changes) {
            finished = nowMs();
            clearTimeout(timer);
            resolve();
          }
        }
      });
      service.on('error', (error: Error) => {
        clearTimeout(timer);
        reject(error);
      });
      service.subscribe(plugin, slot).catch((error: unknown) => {
        clearTimeout(timer);
        reject(error as Error);
      });
    });
  } finally {
    await service.destroy().catch(() => undefined);
  }
  const seconds = (finished - started) / 1000;
  return { rate: changes / seconds, seconds, count: changes };
}

/**
 * A bare ioredis client XADDing `count` entries (taken round-robin from `entries`, field/value arrays of
 * real product entries) to `key`: `pipeline` commands per round trip, `inFlight` round trips at a time on
 * the one connection (2 measured fastest here): the fastest one Node process writes the stream with
 * nothing else to do.
 */
export async function bareXaddRate(
  redisUrl: string,
  key: string,
  entries: string[][],
  count: number,
  pipeline: number,
  inFlight: number,
): Promise<RateMeasurement> {
  if (entries.length === 0) throw new Error('no sample entries to write');
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await redis.del(key);
    const started = nowMs();
    let next = 0;
    const sender = async (): Promise<void> => {
      while (next < count) {
        const batch = redis.pipeline();
        const end = Math.min(count, next + pipeline);
        for (; next < end; next++) batch.call('XADD', key, '*', ...entries[next % entries.length]!);
        const replies = (await batch.exec()) ?? [];
        const failed = replies.find(([error]) => error !== null);
        if (failed) throw failed[0]!;
      }
    };
    await Promise.all(Array.from({ length: inFlight }, sender));
    const seconds = (nowMs() - started) / 1000;
    const length = await redis.xlen(key);
    if (length !== count) throw new Error(`bare XADD: stream has ${length} entries, expected ${count}`);
    return { rate: count / seconds, seconds, count };
  } finally {
    await redis.del(key).catch(() => undefined);
    redis.disconnect();
  }
}

/** `redis-benchmark -P 64 -n <requests> -q XADD <key> * …` with one entry of about `entryBytes` bytes. */
export async function redisBenchmarkXaddRate(
  binary: string,
  port: number,
  key: string,
  requests: number,
  entryBytes: number,
): Promise<RateMeasurement> {
  const value = 'x'.repeat(Math.max(1, entryBytes - 40));
  const args = ['-h', '127.0.0.1', '-p', String(port), '-P', '64', '-n', String(requests), '-q'];
  const command = ['XADD', key, '*', 'record', value, 'changes', 'null', 'action', 'insert', 'metadata', '{}'];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(binary, [...args, ...command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (text += chunk));
    child.stderr.on('data', (chunk: string) => (text += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`redis-benchmark: ${text}`))));
  });
  const redis = new Redis(`redis://127.0.0.1:${port}`);
  await redis.del(key).finally(() => redis.disconnect());
  // "XADD …: 512345.67 requests per second, p50=0.1 msec" (progress lines end with \r).
  const matches = [...output.matchAll(/([\d.]+) requests per second/g)];
  const rate = Number(matches.at(-1)?.[1]);
  if (!Number.isFinite(rate)) throw new Error(`redis-benchmark: cannot read its output: ${output.slice(-300)}`);
  return { rate, seconds: requests / rate, count: requests };
}
