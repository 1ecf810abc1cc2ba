import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedisServer } from '#core/embedded/redis-server.js';
import { RedisStreamWriter, type StreamEntry, StreamEntryEncoder } from '#sinks/redis/redis-stream-writer.js';
import { RedisStringWriter, type StringCommand } from '#sinks/redis/redis-string-writer.js';

/**
 * The sink writers alone against a private Redis: client CPU and Redis CPU per command, next to a plain
 * ioredis pipeline of the same commands. A diagnostic for changes to the writers, not a case of
 * `npm run bench` (no limit, no target); compare runs of two builds alternately, the machine is noisy.
 *
 *   node dist/bench/redis-writers.js [blocks=200]
 */
const BLOCK = 1_000;
const BATCH = 200;
const RECORD = JSON.stringify({
  id: 1,
  name: `customer-1-${'x'.repeat(32)}`,
  amount: '12.34',
  payload: { sku: 'SKU-1', qty: 3, tags: ['red', 'large'], note: 'y'.repeat(32) },
  updated_at: '2024-01-01T00:00:01.000000Z',
});
const METADATA = JSON.stringify({
  table_schema: 'public',
  table_name: 'bench_rows',
  commit_timestamp: '2024-01-01T00:00:01.000000Z',
  commit_lsn: 123456789,
  commit_idx: 1,
  idempotency_key: 'MTIzNDU2Nzg5OjE=',
  record_pks: ['1'],
  consumer: { id: 'c1f0a1e2-0000-4000-8000-000000000000', name: 'sink', annotations: {} },
  database: { id: 'd', name: 'db', annotations: {} },
});
const FIELDS = ['record', RECORD, 'changes', 'null', 'action', 'insert', 'metadata', METADATA];

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const value = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return value('used_cpu_user') + value('used_cpu_sys');
}

/** Runs `write` for `blocks` blocks of BLOCK commands after a warm-up; prints µs per command. */
async function measure(name: string, redis: Redis, blocks: number, write: (block: number) => Promise<void>) {
  for (let i = 0; i < 10; i++) await write(i);
  const redisBefore = await redisCpuSeconds(redis);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < blocks; i++) await write(i);
  const elapsed = performance.now() - started;
  const client = process.cpuUsage(clientBefore);
  const server = (await redisCpuSeconds(redis)) - redisBefore;
  const commands = blocks * BLOCK;
  console.log(
    `${name.padEnd(34)} ${(commands / elapsed).toFixed(1).padStart(6)}k/s  client ${((client.user + client.system) / commands).toFixed(2)} µs  Redis ${((server * 1e6) / commands).toFixed(2)} µs per command`,
  );
}

function check(outcomes: Array<{ ok: boolean }>): void {
  if (!outcomes.every((outcome) => outcome.ok)) throw new Error('a write failed');
}

async function main(): Promise<void> {
  const blocks = Number(process.argv[2] ?? 200);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-writers-'));
  const server = await startRedisServer({ dir });
  const redis = new Redis(server.url);
  try {
    let key = 0;
    const sets = (): StringCommand[] =>
      Array.from({ length: BLOCK }, () => ({ op: 'set', key: `k:${key++ % 200_000}`, value: RECORD, expireMs: null }));
    const strings = new RedisStringWriter(redis);
    // Every key exists before timing, so neither way pays for growing the keyspace.
    for (let i = 0; i < 200_000 / BLOCK; i++) check(await strings.apply(sets()));
    await measure('redis_string writer (SET)', redis, blocks, async () => check(await strings.apply(sets())));
    await measure('ioredis pipeline SET', redis, blocks, async () => {
      const pipeline = redis.pipeline();
      for (const command of sets()) if (command.op === 'set') pipeline.set(command.key, command.value);
      await pipeline.exec();
    });

    // Encoding the entries is part of the writer's cost (the product does it when it makes the message).
    const encoder = new StreamEntryEncoder();
    const entries = (): StreamEntry[] => Array.from({ length: BLOCK }, () => encoder.entry('*', FIELDS));
    const stream = new RedisStreamWriter(redis, 'bench:stream', null);
    await measure(`redis_stream writer (batches of ${BATCH})`, redis, blocks, async () =>
      check(await stream.write(entries(), BATCH)),
    );
    const trimmed = new RedisStreamWriter(redis, 'bench:trimmed', 100_000);
    await measure('redis_stream writer, MAXLEN ~ 100000', redis, blocks, async () =>
      check(await trimmed.write(entries(), BATCH)),
    );
    await measure('ioredis pipeline XADD', redis, blocks, async () => {
      const pipeline = redis.pipeline();
      for (let i = 0; i < BLOCK; i++) pipeline.xadd('bench:plain', '*', ...FIELDS);
      await pipeline.exec();
    });
  } finally {
    redis.disconnect();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
