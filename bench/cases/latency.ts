import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { ReaderParams, ReaderResult, WriterParams, WriterResult } from '../agents/latency-agent.js';
import type { BenchCase, CaseContext, CaseResult } from '../lib/case.js';
import { formatIsoMicros, monotonicMicros, nowMs } from '../lib/clock.js';
import { formatRate, round } from '../lib/format.js';
import type { BenchSettings } from '../lib/settings.js';
import { startSluice } from '../lib/sluice.js';
import { withClient } from '../lib/source.js';

const DATABASE = 'bench_latency';
const PUBLICATION = 'bench_latency_pub';
const SLOT = 'bench_latency_sluice';
const TABLE = 'bench_events';
const STREAM_KEY = 'bench:latency';
const WARM_UP_ROWS = 200;
/** Issue 6's load for this target. */
const TARGET_RATE = 10_000;
const TARGET_DURATION_S = 60;

/**
 * Issue 6's second case: with the worker running, a writer commits single-row inserts at a steady
 * offered rate; a reader blocked on XREAD timestamps each entry as Redis hands it over. Latency is that
 * time minus the change's commit_timestamp (same machine clock), per change.
 */
export const benchCase: BenchCase = {
  name: 'latency',
  order: 20,
  title: 'steady load → 1 redis_stream, commit→visible',
  run,
};

async function run({ env, settings, log }: CaseContext): Promise<CaseResult> {
  const url = await env.createDatabase(DATABASE);
  await withClient(url, async (client) => {
    await client.query(`CREATE TABLE ${TABLE} (
      id bigserial PRIMARY KEY,
      name text NOT NULL,
      amount numeric(12,2) NOT NULL,
      payload jsonb NOT NULL,
      sent_at timestamptz NOT NULL
    )`);
    await client.query(`CREATE PUBLICATION ${PUBLICATION} FOR TABLE ${TABLE}`);
  });
  const sinkRedis = new Redis(env.redis.url);
  const sluice = await startSluice(env, 'latency', { logLevel: settings.logLevel });
  const agents: ChildProcess[] = [];
  try {
    const database = await sluice.request<{ id: string }>('POST', '/postgres_databases', {
      name: 'bench-latency',
      url,
      replication_slots: [{ publication_name: PUBLICATION, slot_name: SLOT }],
      create_slot_if_missing: true,
    });
    await sinkRedis.del(STREAM_KEY);
    await sluice.request('POST', '/sinks', {
      name: 'bench-latency',
      database: database.id,
      destination: { type: 'redis_stream', host: '127.0.0.1', port: env.redis.port, stream_key: STREAM_KEY },
      ...(settings.sinkBatchSize === undefined ? {} : { batch_size: settings.sinkBatchSize }),
    });
    await sluice.startWorker();

    // Warm-up: the reader is connected and delivering before the measured load starts.
    await withClient(url, async (client) => {
      for (let i = 0; i < WARM_UP_ROWS; i++) {
        await client.query(`INSERT INTO ${TABLE} (name, amount, payload, sent_at) VALUES ('warm-up', 0, '{}', $1)`, [
          formatIsoMicros(nowMs()),
        ]);
      }
    });
    const warmUpDeadline = nowMs() + 60_000;
    while ((await sinkRedis.xlen(STREAM_KEY)) < WARM_UP_ROWS) {
      if (nowMs() > warmUpDeadline) throw new Error('warm-up rows did not reach the stream within 60 s');
      await delay(20);
    }
    const [[afterId]] = (await sinkRedis.xrevrange(STREAM_KEY, '+', '-', 'COUNT', 1)) as [[string, string[]]];
    // The load runs warmUpS before the measured durationS, by when every process's code is compiled and
    // its heap sized: in the load's first second, all starting at once on two cores, the agents' first
    // collections took 40-75 ms each and commit→visible reached 100-270 ms.
    const warmUpS = settings.latencyWarmUpS;
    const warmUpRows = settings.rate * warmUpS;
    log(
      `warm-up delivered; offering ${settings.rate}/s for ${warmUpS} + ${settings.durationS} s ` +
        `with ${settings.writers} writers (the first ${warmUpS} s are a warm-up, reported apart)`,
    );

    const reader = startAgent<ReaderResult>(agents, {
      role: 'reader',
      redisUrl: env.redis.url,
      streamKey: STREAM_KEY,
      afterId,
      firstRowId: WARM_UP_ROWS + 1,
      idleTimeoutMs: 30_000,
      expectedRows: settings.rate * (warmUpS + settings.durationS),
      warmUpRows,
    } satisfies ReaderParams);
    await reader.ready;
    const windowStart = monotonicMicros();
    const writer = startAgent<WriterResult>(agents, {
      role: 'writer',
      url,
      table: TABLE,
      rate: settings.rate,
      durationS: warmUpS + settings.durationS,
      writers: settings.writers,
      rowsPerCommit: settings.rowsPerCommit,
    } satisfies WriterParams);
    await writer.ready;
    const written = await writer.result;
    log(
      `writer: ${written.committed} rows committed in ${round(written.seconds, 1)} s → ` +
        `${formatRate(written.achievedRate)}/s (${written.errors} errors)`,
    );
    reader.child.send({ type: 'expect', count: written.committed });
    const read = await reader.result;
    const windowEnd = monotonicMicros();
    const rssMb = process.memoryUsage().rss / 1024 / 1024;
    const latency = read.commitToVisible;
    log(
      `reader: ${read.unique} unique entries; commit→visible p50 ${round(latency.p50, 1)} ms, ` +
        `p99 ${round(latency.p99, 1)} ms, max ${round(latency.max, 1)} ms; warm-up p99 ${round(read.warmUp.p99, 1)} ms, ` +
        `max ${round(read.warmUp.max, 1)} ms`,
    );

    return latencyResult({
      settings,
      written,
      read,
      windowUs: [windowStart, windowEnd],
      rssMb,
      rows: written.committed,
    });
  } finally {
    for (const agent of agents) if (agent.exitCode === null) agent.kill('SIGKILL');
    await sinkRedis.del(STREAM_KEY).catch(() => undefined);
    sinkRedis.disconnect();
    await sluice.close().catch(() => undefined);
    await withClient(url, (client) =>
      client.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [SLOT]),
    ).catch(() => undefined);
    await env.dropDatabase(DATABASE).catch(() => undefined);
  }
}

export interface LatencyInput {
  settings: BenchSettings;
  written: WriterResult;
  read: ReaderResult;
  /** The measured phase on the monotonic clock (µs). */
  windowUs: [number, number];
  /** RSS of the process running the worker, MB. */
  rssMb: number;
  /** Seconds of the load when it was longer than the measured window (the memory case's). */
  loadS?: number;
  /** Rows the reader was to see: every committed row, or the measured window's of a longer load. */
  rows: number;
}

/** The latency row from what the agents saw: here, or within the memory case's load. */
export function latencyResult({ settings, written, read, windowUs, rssMb, loadS, rows }: LatencyInput): CaseResult {
  const warmUpS = settings.latencyWarmUpS;
  const latency = read.commitToVisible;
  const correct =
    written.errors === 0 &&
    read.missing === 0 &&
    read.unexpected === 0 &&
    read.outOfOrder === 0 &&
    read.unique === rows;
  const atTargetLoad =
    settings.rate >= TARGET_RATE &&
    settings.durationS >= TARGET_DURATION_S &&
    written.achievedRate >= 0.95 * TARGET_RATE;
  const latencyOk = latency.count > 0 && latency.p99 < 100 && latency.p50 < 20;
  const load =
    loadS === undefined
      ? `offered ${formatRate(settings.rate)}/s × (${warmUpS} s warm-up + ${settings.durationS} s)`
      : `the memory case's, its first ${warmUpS} s (warm-up) + ${settings.durationS} s measured; over all of its ` +
        `${loadS} s: offered ${formatRate(settings.rate)}/s`;
  const notes = [
    `load: ${load} (${settings.writers} writer connections, ${settings.rowsPerCommit} rows per commit), ` +
      `achieved ${formatRate(written.achievedRate)}/s, ${written.committed} rows; writer ${round(written.behindMs, 0)} ms ` +
      `behind schedule at the end; INSERT round trip p50 ${round(written.insertP50Ms, 2)} / p99 ${round(written.insertP99Ms, 2)} ms`,
    `send→visible (writer's clock before INSERT): p50 ${ms(read.sendToVisible.p50)} / p99 ${ms(read.sendToVisible.p99)} / ` +
      `max ${ms(read.sendToVisible.max)} ms; commit→visible mean ${ms(latency.mean)}, p99.9 ${ms(latency.p999)} ms`,
    `warm-up (the load's first ${warmUpS} s, ${read.warmUp.count} rows, not in the figure): commit→visible p50 ` +
      `${ms(read.warmUp.p50)} / p99 ${ms(read.warmUp.p99)} / max ${ms(read.warmUp.max)} ms`,
    `check: ${read.entries} entries, ${read.unique} unique, ${read.duplicates} duplicates, ${read.missing} missing, ` +
      `${read.outOfOrder} out of order → ${correct ? 'OK' : 'FAILED'}`,
    ...read.problems.map((p) => `check: ${p}`),
  ];
  if (written.firstError) notes.push(`writer error: ${written.firstError}`);
  if (!atTargetLoad) {
    notes.push(
      `the target applies at ${formatRate(TARGET_RATE)}/s for ${TARGET_DURATION_S} s: ` +
        `BENCH_RATE=${TARGET_RATE} BENCH_DURATION_S=${TARGET_DURATION_S} npm run bench -- latency`,
    );
  }
  return {
    product: latency.count > 0 ? round(latency.p99, 2) : null,
    limit: null,
    ratio: null,
    target: `p99 < 100 ms, p50 < 20 ms at ${formatRate(TARGET_RATE)}/s × ${TARGET_DURATION_S} s`,
    unit: 'ms (p99 commit→visible)',
    targetMet: atTargetLoad ? latencyOk : null,
    metText: atTargetLoad
      ? undefined
      : `${latencyOk ? 'latency ok' : 'latency missed'}, at ${formatRate(written.achievedRate)}/s`,
    correct,
    productText:
      latency.count > 0
        ? `p50 ${ms(latency.p50)} / p99 ${ms(latency.p99)} / max ${ms(latency.max)} ms @ ${formatRate(written.achievedRate)}/s`
        : 'no entries',
    notes,
    details: {
      offered_rate: settings.rate,
      duration_s: settings.durationS,
      warm_up_s: warmUpS,
      writers: settings.writers,
      rows_per_commit: settings.rowsPerCommit,
      sink_batch_size: settings.sinkBatchSize ?? 'product default',
      writer: written,
      commit_to_visible_ms: roundStats(read.commitToVisible),
      send_to_visible_ms: roundStats(read.sendToVisible),
      warm_up_commit_to_visible_ms: roundStats(read.warmUp),
      windows_5s: read.windows.map((w) => ({
        from_s: w.fromS,
        count: w.count,
        p50: round(w.p50, 2),
        p99: round(w.p99, 2),
        max: round(w.max, 2),
      })),
      check: {
        ok: correct,
        entries: read.entries,
        unique: read.unique,
        duplicates: read.duplicates,
        missing: read.missing,
        unexpected: read.unexpected,
        out_of_order: read.outOfOrder,
        problems: read.problems,
      },
      ...(loadS === undefined ? {} : { within_memory_case_load_s: loadS }),
      /** RSS of the process running the worker: the bench's own, or the memory case's worker process. */
      process_rss_mb: round(rssMb, 0),
      /** The load's phase on the monotonic clock, for bench/profile-summary with --cpu-prof. */
      profile_window_us: windowUs,
    },
  };
}

export interface Agent<R> {
  child: ChildProcess;
  ready: Promise<void>;
  result: Promise<R>;
}

/** Forks bench/agents/latency-agent.js (compiled) and hands it its parameters. */
export function startAgent<R>(agents: ChildProcess[], params: ReaderParams | WriterParams): Agent<R> {
  const child = fork(fileURLToPath(new URL('../agents/latency-agent.js', import.meta.url)), [], {
    // A --cpu-prof of the run is about Sluice: the agents do not write profiles of their own.
    execArgv: process.execArgv.filter((arg) => !arg.startsWith('--cpu-prof')),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  agents.push(child);
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const result = new Promise<R>((resolve, reject) => {
    child.on('message', (message: { type: string }) => {
      if (message.type === 'ready') onReady();
      if (message.type === 'result') resolve(message as R);
    });
    child.once('exit', (code) => reject(new Error(`latency ${params.role} exited with code ${code}`)));
  });
  result.catch(() => undefined);
  child.send(params);
  return { child, ready: Promise.race([ready, result.then(() => undefined)]), result };
}

function ms(value: number): string {
  return Number.isFinite(value) ? (value >= 100 ? value.toFixed(0) : value.toFixed(1)) : '—';
}

function roundStats(stats: ReaderResult['commitToVisible']): Record<string, number> {
  return Object.fromEntries(Object.entries(stats).map(([key, value]) => [key, round(value, key === 'count' ? 0 : 3)]));
}
