import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { ReaderParams, ReaderResult, WriterParams, WriterResult } from '../agents/latency-agent.js';
import type { BenchCase, CaseContext, CaseResult } from '../lib/case.js';
import { formatIsoMicros, monotonicMicros, nowMs, quantile } from '../lib/clock.js';
import { formatRate, round } from '../lib/format.js';
import { intKnob } from '../lib/measure.js';
import type { BenchSettings } from '../lib/settings.js';
import { startSluice } from '../lib/sluice.js';
import { dropSlots, withClient } from '../lib/source.js';
import { StreamFollower } from '../lib/stream-follower.js';
import { spawnWorker, type WorkerProcess } from '../lib/worker-process.js';
import { latencyResult, startAgent } from './latency.js';

const DATABASE = 'bench_memory';
const PUBLICATION = 'bench_memory_pub';
const SLOT = 'bench_memory_sluice';
const TABLE = 'bench_memory_events';
const STREAM_KEY = 'bench:memory';
const WARM_UP_ROWS = 200;
/** Issue 6's load for this target: 10k changes/s for 10 minutes. */
const TARGET_RATE = 10_000;
const TARGET_DURATION_S = 600;
const TARGET_RSS_MB = 300;
const TARGET_GROWTH = 0.1;
/** RSS is compared as medians over windows of this length (shorter for runs under 2 minutes). */
const WINDOW_S = 30;

/**
 * Issue 6's sixth case: a steady offered load into one redis_stream sink, the worker in a process of
 * its own; its RSS (/proc/<pid>/status) sampled every few seconds. Product: RSS at minute 1 and at the
 * end of the load, and the growth between them.
 */
export const benchCase: BenchCase = {
  name: 'memory',
  order: 50,
  title: 'steady load → 1 redis_stream, worker RSS',
  run,
};

interface RssSample {
  t: number;
  rssMb: number;
}

async function run({ env, settings, log, companions }: CaseContext): Promise<CaseResult> {
  const durationS = settings.memoryS;
  const sampleMs = intKnob('BENCH_MEMORY_SAMPLE_S', 2) * 1000;
  // "Minute 1", or half-way through a run shorter than two minutes.
  const baselineS = Math.min(60, durationS / 2);
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
  const sluice = await startSluice(env, 'memory', { logLevel: settings.logLevel });
  let worker: WorkerProcess | undefined;
  const agents: ChildProcess[] = [];
  let follower: StreamFollower | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    const database = await sluice.request<{ id: string }>('POST', '/postgres_databases', {
      name: 'bench-memory',
      url,
      replication_slots: [{ publication_name: PUBLICATION, slot_name: SLOT }],
      create_slot_if_missing: true,
    });
    await sinkRedis.del(STREAM_KEY);
    await sluice.request('POST', '/sinks', {
      name: 'bench-memory',
      database: database.id,
      destination: { type: 'redis_stream', host: '127.0.0.1', port: env.redis.port, stream_key: STREAM_KEY },
      ...(settings.sinkBatchSize === undefined ? {} : { batch_size: settings.sinkBatchSize }),
    });
    const workerLog = join(env.dir, 'worker-memory.log');
    const spawned = (worker = spawnWorker(sluice.config, workerLog));
    log(`worker process ${spawned.pid} (log ${workerLog})`);

    // Warm-up: the worker delivers before the measured load starts.
    await withClient(url, async (client) => {
      for (let i = 0; i < WARM_UP_ROWS; i++) {
        await client.query(`INSERT INTO ${TABLE} (name, amount, payload, sent_at) VALUES ('warm-up', 0, '{}', $1)`, [
          formatIsoMicros(nowMs()),
        ]);
      }
    });
    const warmUpDeadline = nowMs() + 60_000;
    while ((await sinkRedis.xlen(STREAM_KEY)) < WARM_UP_ROWS) {
      if (spawned.child.exitCode !== null) throw new Error(`the worker exited with ${spawned.child.exitCode}`);
      if (nowMs() > warmUpDeadline) throw new Error('warm-up rows did not reach the stream within 60 s');
      await delay(50);
    }
    const [[afterId]] = (await sinkRedis.xrevrange(STREAM_KEY, '+', '-', 'COUNT', 1)) as [[string, string[]]];
    const warmedUp = await spawned.memory();
    log(
      `warm-up delivered (worker RSS ${round(warmedUp?.rssMb ?? NaN, 0)} MB); ` +
        `offering ${settings.rate}/s for ${durationS} s with ${settings.writers} writers`,
    );

    // The latency case's figures, when asked: its reader agent times the load's first rows.
    const latency = companions.includes('latency')
      ? await startLatencyReader(agents, settings, env.redis.url, afterId)
      : undefined;

    // The load, the follower checking the stream as it grows, RSS every sampleMs.
    const reader = (follower = new StreamFollower(env.redis.url, STREAM_KEY, afterId, WARM_UP_ROWS + 1, 30_000));
    if (latency) reader.trimAfter(latency.finished);
    const samples: RssSample[] = [];
    const loadStarted = nowMs();
    const sample = async (): Promise<void> => {
      const memory = await spawned.memory();
      if (memory) samples.push({ t: (nowMs() - loadStarted) / 1000, rssMb: memory.rssMb });
    };
    await sample();
    sampler = setInterval(() => void sample(), sampleMs);
    const written = await startAgent<WriterResult>(agents, {
      role: 'writer',
      url,
      table: TABLE,
      rate: settings.rate,
      durationS,
      writers: settings.writers,
      rowsPerCommit: settings.rowsPerCommit,
    } satisfies WriterParams).result;
    clearInterval(sampler);
    await sample();
    const endOfLoad = samples.at(-1)!;
    log(
      `writer: ${written.committed} rows in ${round(written.seconds, 1)} s → ${formatRate(written.achievedRate)}/s ` +
        `(${written.errors} errors); worker RSS ${round(endOfLoad.rssMb, 0)} MB`,
    );
    reader.expect(written.committed);
    const drainStarted = nowMs();
    const read = await reader.done;
    const drainSeconds = (nowMs() - drainStarted) / 1000;
    const afterDrain = await spawned.memory();
    const latencyRow = latency && (await latency.result(written, durationS, samples));
    const diedEarly = spawned.child.exitCode !== null || spawned.child.signalCode !== null;
    const workerExit = await spawned.stop();

    // Correctness: the table's measured rows are contiguous ids, each read once, in commit order.
    const table = await withClient(url, async (client) => {
      const { rows } = await client.query<{ n: string; min: string | null; max: string | null }>(
        `SELECT count(*) AS n, min(id) AS min, max(id) AS max FROM ${TABLE} WHERE id > $1`,
        [WARM_UP_ROWS],
      );
      return { count: Number(rows[0]!.n), min: Number(rows[0]!.min), max: Number(rows[0]!.max) };
    });
    const sameIds =
      table.count === read.unique &&
      (table.count === 0 || (table.min === read.minId && table.max === read.maxId)) &&
      (table.count === 0 || table.max - table.min + 1 === table.count);
    const correct =
      written.errors === 0 &&
      table.count === written.committed &&
      sameIds &&
      read.duplicates === 0 &&
      read.unexpected === 0 &&
      read.outOfOrder === 0;
    log(
      `check: ${read.entries} entries, ${read.unique} rows of ${table.count}, ${read.duplicates} duplicates, ` +
        `${read.outOfOrder} out of order → ${correct ? 'OK' : 'FAILED'}`,
    );

    // RSS saws up and down by tens of MB with V8's collections: compare medians of windows, not two samples.
    const windowS = Math.min(WINDOW_S, durationS / 4);
    const baseline = windowMedian(samples, baselineS - windowS / 2, baselineS + windowS / 2);
    const atEnd = windowMedian(samples, endOfLoad.t - windowS, endOfLoad.t);
    const growth = (atEnd - baseline) / baseline;
    const peak = Math.max(...samples.map((s) => s.rssMb));
    const thin = Math.ceil(samples.length / 30); // samples printed in the notes
    const memoryOk = atEnd < TARGET_RSS_MB && growth < TARGET_GROWTH;
    const atTargetLoad =
      settings.rate >= TARGET_RATE && durationS >= TARGET_DURATION_S && written.achievedRate >= 0.95 * TARGET_RATE;
    const notes = [
      `load: offered ${formatRate(settings.rate)}/s × ${durationS} s (${settings.writers} writers, ${settings.rowsPerCommit} rows per commit), achieved ` +
        `${formatRate(written.achievedRate)}/s, ${written.committed} rows; the stream had them all ${round(drainSeconds, 1)} s ` +
        `after the load ended`,
      `worker RSS (MB): after warm-up ${mb(warmedUp?.rssMb)}, median of ${windowS} s around ${baselineS} s ` +
        `${mb(baseline)}, of the last ${windowS} s ${mb(atEnd)}, last sample ${mb(endOfLoad.rssMb)}, ` +
        `peak sample ${mb(peak)}, after drain ${mb(afterDrain?.rssMb)} ` +
        `(VmHWM ${mb(afterDrain?.peakMb)}); every ${(sampleMs / 1000) * thin} s: ${samples
          .filter((_, i) => i % thin === 0)
          .map((s) => Math.round(s.rssMb))
          .join(' ')}`,
      `check: ${read.entries} entries, ${read.unique} rows of ${table.count} in the table, ${read.duplicates} duplicates, ` +
        `${read.unexpected} unexpected, ${read.outOfOrder} out of order → ${correct ? 'OK' : 'FAILED'}`,
      ...read.problems.map((p) => `check: ${p}`),
    ];
    if (written.firstError) notes.push(`writer error: ${written.firstError}`);
    if (diedEarly) notes.push(`the worker process ended during the run (exit ${workerExit}); see its log`);
    else if (workerExit !== 0) notes.push(`the worker exited with ${workerExit} on SIGTERM`);
    if (!atTargetLoad) {
      notes.push(
        `the target applies at ${formatRate(TARGET_RATE)}/s for ${TARGET_DURATION_S / 60} minutes: ` +
          `BENCH_RATE=${TARGET_RATE} BENCH_MEMORY_S=${TARGET_DURATION_S} BENCH_MAX_MINUTES=20 npm run bench -- memory`,
      );
    }
    return {
      product: round(atEnd, 1),
      limit: null,
      ratio: null,
      target: `< ${TARGET_RSS_MB} MB, growth < ${TARGET_GROWTH * 100} % at ${formatRate(TARGET_RATE)}/s × ${TARGET_DURATION_S / 60} min`,
      unit: 'MB',
      targetMet: atTargetLoad ? memoryOk : null,
      metText: atTargetLoad
        ? undefined
        : `${memoryOk ? 'memory ok' : 'memory missed'}, at ${formatRate(written.achievedRate)}/s × ${durationS} s`,
      correct,
      productText: `${mb(baseline)} MB at ${baselineS} s → ${mb(atEnd)} MB at ${round(endOfLoad.t, 0)} s (${growth >= 0 ? '+' : ''}${round(growth * 100, 1)} %)`,
      notes,
      details: {
        offered_rate: settings.rate,
        duration_s: durationS,
        writers: settings.writers,
        rows_per_commit: settings.rowsPerCommit,
        sink_batch_size: settings.sinkBatchSize ?? 'product default',
        writer: written,
        rss_mb: {
          after_warm_up: warmedUp && round(warmedUp.rssMb, 1),
          window_s: windowS,
          baseline: { t: baselineS, median: round(baseline, 1) },
          end_of_load: { t: round(endOfLoad.t, 1), median: round(atEnd, 1), last_sample: round(endOfLoad.rssMb, 1) },
          growth: round(growth, 4),
          peak_sample: round(peak, 1),
          after_drain: afterDrain && round(afterDrain.rssMb, 1),
          vm_hwm: afterDrain && round(afterDrain.peakMb, 1),
          samples: samples.map((s) => ({ t: round(s.t, 1), rss: round(s.rssMb, 1) })),
        },
        drain_seconds: round(drainSeconds, 2),
        check: { ok: correct, table, ...read },
      },
      ...(latencyRow ? { companions: { latency: latencyRow } } : {}),
    };
  } finally {
    clearInterval(sampler);
    follower?.stop();
    for (const agent of agents) if (agent.exitCode === null) agent.kill('SIGKILL');
    await worker?.stop().catch(() => undefined);
    await sinkRedis.del(STREAM_KEY).catch(() => undefined);
    sinkRedis.disconnect();
    await sluice.close().catch(() => undefined);
    await dropSlots(url, [SLOT]).catch(() => undefined);
    await env.dropDatabase(DATABASE).catch(() => undefined);
  }
}

/**
 * The latency case's reader over this case's load: the same offered load, its first
 * `latencyWarmUpS + durationS` seconds' rows timed as the latency case times them.
 */
async function startLatencyReader(agents: ChildProcess[], settings: BenchSettings, redisUrl: string, afterId: string) {
  const warmUpRows = settings.rate * settings.latencyWarmUpS;
  const measuredRows = warmUpRows + settings.rate * settings.durationS;
  const agent = startAgent<ReaderResult>(agents, {
    role: 'reader',
    redisUrl,
    streamKey: STREAM_KEY,
    afterId,
    firstRowId: WARM_UP_ROWS + 1,
    idleTimeoutMs: 30_000,
    expectedRows: measuredRows,
    warmUpRows,
    measuredRows,
  } satisfies ReaderParams);
  await agent.ready;
  const windowStart = monotonicMicros();
  const read = agent.result.then((result) => ({ result, windowEnd: monotonicMicros() }));
  read.catch(() => undefined);
  return {
    finished: read,
    /** The latency row; a reader that failed gives a row saying so, and leaves this case's own figures be. */
    async result(written: WriterResult, loadS: number, samples: RssSample[]): Promise<CaseResult | undefined> {
      const outcome = await read.catch(() => undefined);
      if (outcome === undefined) return undefined;
      const { result, windowEnd } = outcome;
      const windowS = (windowEnd - windowStart) / 1e6;
      const rss = samples.filter((s) => s.t <= windowS).at(-1)?.rssMb ?? NaN;
      return latencyResult({
        settings,
        written,
        read: result,
        windowUs: [windowStart, windowEnd],
        rssMb: rss,
        loadS,
        rows: measuredRows,
      });
    },
  };
}

function windowMedian(samples: RssSample[], fromS: number, toS: number): number {
  const inside = samples.filter((s) => s.t >= fromS && s.t <= toS).map((s) => s.rssMb);
  const values = (inside.length > 0 ? inside : samples.map((s) => s.rssMb)).sort((a, b) => a - b);
  return quantile(values, 0.5);
}

function mb(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value) ? '—' : value.toFixed(0);
}
