import type { INestApplicationContext } from '@nestjs/common';
import { Redis } from 'ioredis';
import pg from 'pg';
import { bootstrapWorker } from '../../../apps/worker/src/bootstrap.js';
import type { components } from './api-schema.js';
import {
  createSourceDatabase,
  randomSuffix,
  type SourceDatabase,
  testRedisUrl,
  waitFor,
  withClient,
} from './databases.js';
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
  /** The in-process worker; throws when the stack runs without one (`inProcessWorker: false`). */
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
  /**
   * Restarts the worker (a new process would do the same: same config, new instances). Without an
   * in-process worker, starts one.
   */
  restartWorker(): Promise<void>;
  /** Confirmed flush LSN of the slot, as an integer. */
  confirmedFlushLsn(): Promise<bigint>;
  /** Waits until the slot is confirmed past `commitLsn` (the last commit delivered), or fails the test. */
  waitForSlotPast(commitLsn: bigint, timeoutMs?: number): Promise<void>;
  /** The walsender pid reading the slot, or null while no reader is connected. */
  slotActivePid(): Promise<number | null>;
  /** The reader's side of the slot's replication connection: its client port, or null. */
  slotReaderPort(): Promise<number | null>;
  /** A query on the stack's metadata database (e.g. `parked_messages`). */
  metadataQuery<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

export interface EngineStackOptions {
  /**
   * false: no worker runs in this process (spawn them with `spawnWorker(stack.api.config)`, e.g. to
   * kill one with SIGKILL). Default true.
   */
  inProcessWorker?: boolean;
  /** What the slot's publication is for, created after the setup SQL (`TABLE a (x, y) WHERE (…)`); default ALL TABLES. */
  publicationFor?: string;
  /** Sluice's internal Redis (BullMQ, coordination): a private one a test may stop. Default the shared test Redis. */
  internalRedisUrl?: string;
  /** The source database's server (superuser URL): a private one a test may restart. Default the shared test server. */
  sourceServerUrl?: string;
}

export async function startEngineStack(
  setupSql: string[] = [],
  options: EngineStackOptions = {},
): Promise<EngineStack> {
  const suffix = randomSuffix();
  const slotName = `sluice_test_${suffix}`;
  const forAllTables = options.publicationFor === undefined;
  const source = await createSourceDatabase({
    publication: forAllTables ? `pub_${suffix}` : undefined,
    serverUrl: options.sourceServerUrl,
  });
  for (const sql of setupSql) await source.client.query(sql);
  if (!forAllTables) await source.client.query(`CREATE PUBLICATION pub_${suffix} FOR ${options.publicationFor}`);
  const api = await startTestApi(options.internalRedisUrl === undefined ? {} : { redisUrl: options.internalRedisUrl });
  const created = await api.client.POST('/api/postgres_databases', {
    body: {
      name: `db-${suffix}`,
      url: source.url,
      replication_slots: [{ publication_name: `pub_${suffix}`, slot_name: slotName }],
      create_slot_if_missing: true,
    },
  });
  if (!created.data) throw new Error(`database create failed: ${JSON.stringify(created.error)}`);
  let worker: INestApplicationContext | null =
    options.inProcessWorker === false ? null : await bootstrapWorker(api.config);
  const sinkRedisUrl = new URL(testRedisUrl());
  const sinkRedis = new Redis(testRedisUrl());
  const databaseId = created.data.id;
  const confirmedFlushLsn = async (): Promise<bigint> => {
    const { rows } = await source.client.query<{ lsn: string }>(
      `SELECT (confirmed_flush_lsn - '0/0')::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`,
      [slotName],
    );
    return BigInt(rows[0]?.lsn ?? '0');
  };
  return {
    api,
    get worker() {
      if (!worker) throw new Error('this engine stack runs without an in-process worker');
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
      await worker?.close();
      worker = null;
      worker = await bootstrapWorker(api.config);
    },
    confirmedFlushLsn,
    async waitForSlotPast(commitLsn, timeoutMs = 15_000) {
      await waitFor(async () => (await confirmedFlushLsn()) > commitLsn, {
        timeoutMs,
        message: 'the slot to be confirmed past the last commit',
      });
    },
    async slotActivePid() {
      const { rows } = await source.client.query<{ pid: number | null }>(
        `SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1`,
        [slotName],
      );
      return rows[0]?.pid ?? null;
    },
    async slotReaderPort() {
      const { rows } = await source.client.query<{ port: number | null }>(
        `SELECT r.client_port AS port FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid
          WHERE s.slot_name = $1`,
        [slotName],
      );
      return rows[0]?.port ?? null;
    },
    async metadataQuery<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
      return withClient(api.config.databaseUrl, async (client) => (await client.query<R>(sql, params)).rows);
    },
    async close() {
      await worker?.close();
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

/** One row change a workload committed. */
export interface WrittenChange {
  /** The transaction's number in commit order (1-based). */
  txn: number;
  /** Position in its transaction: what `metadata.commit_idx` must say. */
  idx: number;
  action: 'insert' | 'update' | 'delete';
  id: number;
  /** `v` after the change; null for a delete (without REPLICA IDENTITY FULL only the key is sent). */
  v: number | null;
}

/**
 * The table a workload writes, and its side log: one row per committed transaction, written in the
 * same transaction. Keep the log out of the sink's scope (`source: { include_tables: [table] }`).
 */
export function workloadTableSql(table: string): string[] {
  return [
    `CREATE TABLE ${table} (id int PRIMARY KEY, v int NOT NULL, txn int NOT NULL)`,
    `CREATE TABLE ${table}_log (txn int PRIMARY KEY, changes int NOT NULL)`,
  ];
}

export interface WorkloadOptions {
  /** Transactions to commit (each 1–3 inserts, updates and deletes). */
  transactions: number;
  /** Primary keys the changes are spread over. Default 200. */
  rows?: number;
  /** Pause after each transaction, in ms. Default 0. */
  pauseMs?: number;
  /** Seed of the change mix (the same seed writes the same changes). Default 1. */
  seed?: number;
  /**
   * Rides out a restart of the server: a transaction whose write fails is written again once the
   * server is back, unless the side log shows it committed. Default false (the first error ends it).
   */
  survivesServerRestarts?: boolean;
}

export interface Workload {
  /** Resolves when every transaction is committed; rejects on a write error. */
  done: Promise<void>;
  /** Transactions committed so far. */
  committed(): number;
  /**
   * After `done`: the committed changes in commit order, checked against the side log (what the
   * database says was committed, not only what this writer believes).
   */
  expected(): Promise<WrittenChange[]>;
}

/**
 * Writes a mix of inserts, updates and deletes over a few hundred rows in many small transactions,
 * from its own connection, in the background. One sequential writer: commit order is write order.
 */
export function startWorkload(url: string, table: string, options: WorkloadOptions): Workload {
  const rows = options.rows ?? 200;
  const random = seededRandom(options.seed ?? 1);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const written: WrittenChange[] = [];
  let committed = 0;
  const live = new Set<number>();
  let value = 0;

  const run = async (): Promise<void> => {
    let client = await connectWriter(url);
    const commit = async (sql: string, txn: number): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        try {
          await client.query(sql);
          return;
        } catch (error) {
          if (!options.survivesServerRestarts || attempt === WRITE_ATTEMPTS) throw error;
          await client.end().catch(() => undefined);
          client = await waitFor(() => connectWriter(url).catch(unlessDatabaseDropped), {
            timeoutMs: 60_000,
            message: 'the source server to accept the workload again',
          });
          // Committed or not, the side log says (the COMMIT may have been lost with its answer).
          const logged = await client.query(`SELECT 1 FROM ${table}_log WHERE txn = $1`, [txn]).catch(() => null);
          if (logged?.rowCount === 1) return;
        }
      }
    };
    try {
      for (let txn = 1; txn <= options.transactions; txn++) {
        const ops = 1 + Math.floor(random() * 3);
        const changes: WrittenChange[] = [];
        const statements = ['BEGIN'];
        for (let idx = 0; idx < ops; idx++) {
          const v = ++value;
          const roll = random();
          if (live.size === 0 || (live.size < rows && roll < 0.45)) {
            const id = pick([...Array(rows).keys()].map((i) => i + 1).filter((i) => !live.has(i)));
            live.add(id);
            statements.push(`INSERT INTO ${table} (id, v, txn) VALUES (${id}, ${v}, ${txn})`);
            changes.push({ txn, idx, action: 'insert', id, v });
          } else if (roll < 0.85) {
            const id = pick([...live]);
            statements.push(`UPDATE ${table} SET v = ${v}, txn = ${txn} WHERE id = ${id}`);
            changes.push({ txn, idx, action: 'update', id, v });
          } else {
            const id = pick([...live]);
            live.delete(id);
            statements.push(`DELETE FROM ${table} WHERE id = ${id}`);
            changes.push({ txn, idx, action: 'delete', id, v: null });
          }
        }
        statements.push(`INSERT INTO ${table}_log (txn, changes) VALUES (${txn}, ${ops})`, 'COMMIT');
        await commit(statements.join(';\n'), txn);
        written.push(...changes);
        committed = txn;
        if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  const done = run();
  done.catch(() => undefined); // awaited by the test; never an unhandled rejection meanwhile
  return {
    done,
    committed: () => committed,
    async expected() {
      await done;
      const logged = await withClient(url, async (client) => {
        const result = await client.query<{ txn: number; changes: number }>(
          `SELECT txn, changes FROM ${table}_log ORDER BY txn`,
        );
        return result.rows;
      });
      const counts = new Map<number, number>();
      for (const change of written) counts.set(change.txn, (counts.get(change.txn) ?? 0) + 1);
      const mine = [...counts].map(([txn, changes]) => ({ txn, changes }));
      if (JSON.stringify(logged) !== JSON.stringify(mine)) {
        throw new Error(`the side log disagrees with the writer: ${logged.length} vs ${mine.length} transactions`);
      }
      return written;
    },
  };
}

const WRITE_ATTEMPTS = 10;

/**
 * A failed connection is tried again, unless its database is gone: the test ended (a failed test's
 * stack drops it) and the workload must not keep retrying for a minute.
 */
function unlessDatabaseDropped(error: unknown): undefined {
  if ((error as { code?: unknown }).code === '3D000') throw error; // invalid_catalog_name
  return undefined;
}

async function connectWriter(url: string): Promise<pg.Client> {
  const client = new pg.Client(url);
  client.on('error', () => undefined); // a lost connection fails the next write, which handles it
  await client.connect();
  return client;
}

/** A small deterministic PRNG (mulberry32). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One stream entry of a workload's table, as the checks need it. */
export interface StreamChange {
  streamId: string;
  commitLsn: bigint;
  commitIdx: number;
  idempotencyKey: string;
  action: string;
  id: number;
  v: number | null;
}

export interface StreamAnalysis {
  /** Entries in the stream, duplicates included. */
  entries: number;
  /** First occurrence of each idempotency key, in stream order. */
  changes: StreamChange[];
  /** Entries repeating an earlier idempotency key. */
  duplicates: number;
  /** Idempotency keys whose repeated entries differ from the first one in any field. */
  differingDuplicates: string[];
  /** First occurrences not strictly after the previous one in (commit_lsn, commit_idx). */
  outOfOrder: string[];
  /** Where the stream goes back in commit order: each is a replay, after a crash or a retry. */
  replays: number;
}

/** Dedupes a workload's stream by idempotency key (keeping the first) and checks its order. */
export function analyzeStream(entries: Array<{ id: string; fields: Record<string, string> }>): StreamAnalysis {
  const firstFields = new Map<string, string>();
  const changes: StreamChange[] = [];
  const differing = new Set<string>();
  const outOfOrder: string[] = [];
  let duplicates = 0;
  let replays = 0;
  let previous: StreamChange | null = null;
  let previousFirst: StreamChange | null = null;
  const after = (a: StreamChange, b: StreamChange): boolean =>
    a.commitLsn > b.commitLsn || (a.commitLsn === b.commitLsn && a.commitIdx > b.commitIdx);
  const at = (c: StreamChange): string => `${c.commitLsn}:${c.commitIdx} (entry ${c.streamId})`;
  for (const { id, fields } of entries) {
    const metadata = JSON.parse(fields.metadata!) as {
      commit_lsn: number;
      commit_idx: number;
      idempotency_key: string;
    };
    const record = JSON.parse(fields.record!) as { id: number; v: number | null };
    const change: StreamChange = {
      streamId: id,
      commitLsn: BigInt(metadata.commit_lsn),
      commitIdx: metadata.commit_idx,
      idempotencyKey: metadata.idempotency_key,
      action: fields.action!,
      id: record.id,
      v: record.v,
    };
    if (previous && !after(change, previous)) replays++;
    previous = change;
    const text = JSON.stringify(fields);
    const first = firstFields.get(change.idempotencyKey);
    if (first !== undefined) {
      duplicates++;
      if (first !== text) differing.add(change.idempotencyKey);
      continue;
    }
    firstFields.set(change.idempotencyKey, text);
    if (previousFirst && !after(change, previousFirst)) outOfOrder.push(`${at(change)} after ${at(previousFirst)}`);
    previousFirst = change;
    changes.push(change);
  }
  return { entries: entries.length, changes, duplicates, differingDuplicates: [...differing], outOfOrder, replays };
}

/**
 * Reads the stream until it holds `count` distinct changes (or the deadline passes: then it returns
 * what is there, so that the caller's assertion shows the difference).
 */
export async function waitForStreamChanges(
  redis: Redis,
  key: string,
  count: number,
  timeoutMs = 30_000,
): Promise<StreamAnalysis> {
  let analysis = analyzeStream([]);
  await waitFor(
    async () => {
      analysis = analyzeStream(await readStream(redis, key));
      return analysis.changes.length >= count;
    },
    { timeoutMs, intervalMs: 100 },
  ).catch(() => undefined);
  return analysis;
}

/**
 * `txn-ordinal#commit_idx action id v` per change: a stream and a workload's expected changes compare
 * equal exactly when the same changes arrived, grouped into the same transactions, in the same order.
 */
export function changeSummaries(changes: ReadonlyArray<StreamChange | WrittenChange>): string[] {
  let ordinal = 0;
  let current: string | null = null;
  return changes.map((change) => {
    const transaction = 'txn' in change ? String(change.txn) : String(change.commitLsn);
    if (transaction !== current) {
      current = transaction;
      ordinal++;
    }
    const idx = 'idx' in change ? change.idx : change.commitIdx;
    return `t${ordinal}#${idx} ${change.action} ${change.id} ${change.v ?? '-'}`;
  });
}

/**
 * The common check of a workload's Redis Stream: every committed change present, first occurrences
 * in strictly increasing (commit_lsn, commit_idx), duplicates identical to their first occurrence and
 * at most `maxReplays` places where the stream starts over (each needs a crash or a retry).
 */
export function expectStreamMatches(
  analysis: StreamAnalysis,
  expected: WrittenChange[],
  { maxReplays }: { maxReplays: number },
): void {
  expect(analysis.differingDuplicates).toEqual([]);
  expect(analysis.outOfOrder).toEqual([]);
  expect(changeSummaries(analysis.changes)).toEqual(changeSummaries(expected));
  expect(analysis.replays).toBeLessThanOrEqual(maxReplays);
  if (maxReplays === 0) expect(analysis.duplicates).toBe(0);
}
