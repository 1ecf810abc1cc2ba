import type { INestApplicationContext } from '@nestjs/common';
import { Redis } from 'ioredis';
import { bootstrapWorker } from '../../../apps/worker/src/bootstrap.js';
import type { components } from './api-schema.js';
import { createSourceDatabase, randomSuffix, type SourceDatabase, testRedisUrl, waitFor } from './databases.js';
import { startTestApi, type TestApi } from './test-api.js';

export type SinkCreate = components['schemas']['CreateSinkDto'];
export type SinkResponse = components['schemas']['SinkDto'];

/**
 * The whole product over real parts: an API and a worker (in this process) over a fresh metadata
 * database, a fresh source database registered through the API (publication + slot), and the test
 * Redis standing in for the user's sink Redis.
 */
export interface EngineStack {
  api: TestApi;
  worker: INestApplicationContext;
  source: SourceDatabase;
  databaseId: string;
  databaseName: string;
  slotName: string;
  /** A client on the sink Redis (the test Redis server). */
  sinkRedis: Redis;
  sinkRedisPort: number;
  /** Creates a sink on the stack's database; fails the test on a non-201. */
  createSink(body: Omit<SinkCreate, 'database'>): Promise<SinkResponse>;
  /** Restarts the worker (a new process would do the same: same config, new instances). */
  restartWorker(): Promise<void>;
  /** Confirmed flush LSN of the slot, as an integer. */
  confirmedFlushLsn(): Promise<bigint>;
  close(): Promise<void>;
}

export async function startEngineStack(setupSql: string[] = []): Promise<EngineStack> {
  const suffix = randomSuffix();
  const slotName = `sluice_test_${suffix}`;
  const source = await createSourceDatabase({ publication: `pub_${suffix}` });
  for (const sql of setupSql) await source.client.query(sql);
  const api = await startTestApi();
  const created = await api.client.POST('/api/postgres_databases', {
    body: {
      name: `db-${suffix}`,
      url: source.url,
      replication_slots: [{ publication_name: `pub_${suffix}`, slot_name: slotName }],
      create_slot_if_missing: true,
    },
  });
  if (!created.data) throw new Error(`database create failed: ${JSON.stringify(created.error)}`);
  let worker = await bootstrapWorker(api.config);
  const sinkRedisUrl = new URL(testRedisUrl());
  const sinkRedis = new Redis(testRedisUrl());
  const databaseId = created.data.id;
  return {
    api,
    get worker() {
      return worker;
    },
    source,
    databaseId,
    databaseName: created.data.name,
    slotName,
    sinkRedis,
    sinkRedisPort: Number(sinkRedisUrl.port),
    async createSink(body) {
      const { data, error } = await api.client.POST('/api/sinks', {
        body: { ...body, database: databaseId } as SinkCreate,
      });
      if (!data) throw new Error(`sink create failed: ${JSON.stringify(error)}`);
      return data;
    },
    async restartWorker() {
      await worker.close();
      worker = await bootstrapWorker(api.config);
    },
    async confirmedFlushLsn() {
      const { rows } = await source.client.query<{ lsn: string }>(
        `SELECT (confirmed_flush_lsn - '0/0')::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`,
        [slotName],
      );
      return BigInt(rows[0]?.lsn ?? '0');
    },
    async close() {
      await worker.close();
      await api.close();
      sinkRedis.disconnect();
      await source.drop();
    },
  };
}

/** All entries of a stream, oldest first, with their fields parsed where they are JSON. */
export async function readStream(
  redis: Redis,
  key: string,
): Promise<Array<{ id: string; fields: Record<string, string> }>> {
  const entries = await redis.xrange(key, '-', '+');
  return entries.map(([id, flat]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    return { id, fields };
  });
}

export async function waitForStreamLength(
  redis: Redis,
  key: string,
  length: number,
  timeoutMs = 30_000,
): Promise<void> {
  await waitFor(async () => (await redis.xlen(key)) >= length, {
    timeoutMs,
    message: `stream ${key} to reach ${length} entries`,
  });
}
