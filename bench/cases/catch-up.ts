import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { type BenchCase, type CaseContext, type CaseResult, ratioOf } from '../lib/case.js';
import { monotonicMicros, nowMs } from '../lib/clock.js';
import {
  bareNodeDecodeRate,
  bareXaddRate,
  pgRecvlogicalRate,
  type RateMeasurement,
  redisBenchmarkXaddRate,
} from '../lib/limits.js';
import { startSluice } from '../lib/sluice.js';
import {
  BENCH_TABLE,
  confirmedFlushLsn,
  CREATE_BENCH_TABLE,
  createSlot,
  currentWalLsn,
  dropSlots,
  preload,
  withClient,
} from '../lib/source.js';
import { checkCatchUpStream } from '../lib/stream-check.js';
import { formatRate, lsnGte, round } from '../lib/format.js';
import { cpuSnapshot, otherLoad } from '../lib/machine-load.js';

const DATABASE = 'bench_catchup';
const PUBLICATION = 'bench_pub';
const SLUICE_SLOT = 'bench_sluice';
const RECVLOGICAL_SLOT = 'bench_recvlogical';
const NODE_SLOT = 'bench_node_pgoutput';
const STREAM_KEY = 'bench:catch-up';
const XADD_LIMIT_KEY = 'bench:xadd-limit';
const REDIS_BENCHMARK_KEY = 'bench:redis-benchmark';
const SAMPLE_SIZE = 5_000;
const POLL_MS = 20;
/** Give up when the stream has not grown for this long. */
const STALL_MS = 60_000;

/**
 * Issue 3's benchmark / issue 6's first case: N changes already in the slot when Sluice starts, one
 * redis_stream sink; changes/s until the last entry is in the stream, against the bare decode and bare
 * XADD rates measured on the same data in this run.
 */
export const benchCase: BenchCase = {
  name: 'catch-up',
  order: 10,
  title: 'catch-up → 1 redis_stream',
  run,
};

async function run({ env, settings, log }: CaseContext): Promise<CaseResult> {
  const n = settings.changes;
  const url = await env.createDatabase(DATABASE);
  await withClient(url, async (client) => {
    await client.query(CREATE_BENCH_TABLE);
    await client.query(`CREATE PUBLICATION ${PUBLICATION} FOR TABLE ${BENCH_TABLE}`);
  });
  const sinkRedis = new Redis(env.redis.url);
  const sluice = await startSluice(env, 'catch-up', { logLevel: settings.logLevel });
  const notes: string[] = [];
  const limitErrors: Record<string, string> = {};
  const attempt = async (name: string, measure: () => Promise<RateMeasurement>): Promise<RateMeasurement | null> => {
    try {
      const before = cpuSnapshot();
      const measured = await measure();
      measured.othersShare = otherLoad(before, cpuSnapshot())?.othersShare ?? null;
      log(`${name}: ${formatRate(measured.rate)}/s (${round(measured.seconds, 2)} s)`);
      return measured;
    } catch (error) {
      limitErrors[name] = (error as Error).message;
      notes.push(`${name} failed: ${(error as Error).message.split('\n')[0]}`);
      log(`${name} failed: ${(error as Error).message}`);
      return null;
    }
  };
  try {
    // 1. Database and sink first, worker not running: the sink's start_lsn is before the pre-load.
    const database = await sluice.request<{ id: string }>('POST', '/postgres_databases', {
      name: 'bench',
      url,
      replication_slots: [{ publication_name: PUBLICATION, slot_name: SLUICE_SLOT }],
      create_slot_if_missing: true,
    });
    await sinkRedis.del(STREAM_KEY);
    await sluice.request('POST', '/sinks', {
      name: 'bench-catch-up',
      database: database.id,
      destination: { type: 'redis_stream', host: '127.0.0.1', port: env.redis.port, stream_key: STREAM_KEY },
      ...(settings.sinkBatchSize === undefined ? {} : { batch_size: settings.sinkBatchSize }),
    });
    // 2. The limits' slots, at the same point: they hold exactly the pre-loaded changes too.
    await createSlot(url, RECVLOGICAL_SLOT, 'test_decoding');
    await createSlot(url, NODE_SLOT, 'pgoutput');

    // 3. Pre-load.
    const preloadStarted = nowMs();
    const plan = await preload(url, n, settings.mix, settings.txnSize, (done) =>
      log(`pre-load: ${done.toLocaleString('en-US')} / ${n.toLocaleString('en-US')} changes`),
    );
    const endLsn = await currentWalLsn(url);
    const preloadSeconds = (nowMs() - preloadStarted) / 1000;
    log(
      `pre-loaded ${plan.inserts} inserts, ${plan.updates} updates, ${plan.deletes} deletes in ` +
        `${plan.transactions} transactions (${round(preloadSeconds, 1)} s); WAL end ${endLsn}`,
    );
    const timeoutMs = settings.catchUpTimeoutS * 1000;

    // 4. Decode limits, before Sluice runs (nothing else competes for the two cores).
    const skip = (name: string): null => (notes.push(`${name}: skipped (BENCH_LIMITS=off)`), null);
    const recvlogical = !settings.limits
      ? skip('pg_recvlogical')
      : env.pgRecvlogical
        ? await attempt('pg_recvlogical (test_decoding)', () =>
            pgRecvlogicalRate(env.pgRecvlogical!, url, RECVLOGICAL_SLOT, endLsn, n, timeoutMs),
          )
        : (notes.push('pg_recvlogical not found: skipped'), null);
    const nodeDecode = !settings.limits
      ? skip('bare Node pgoutput decode')
      : await attempt('bare Node pgoutput decode', () => bareNodeDecodeRate(url, NODE_SLOT, PUBLICATION, n, timeoutMs));
    await dropSlots(url, [RECVLOGICAL_SLOT, NODE_SLOT]); // They would pin WAL for nothing from here on.

    // 5. The product: start the worker, time until the stream holds N entries.
    log('starting the Sluice worker');
    const windowStart = monotonicMicros();
    const cpuBefore = cpuSnapshot();
    const processCpuBefore = process.cpuUsage();
    const started = nowMs();
    await sluice.startWorker();
    const workerReady = nowMs();
    let firstEntryAt: number | null = null;
    let length = 0;
    let lastProgressAt = started;
    let stalled = false;
    while (length < n && nowMs() - started < timeoutMs) {
      const now = await sinkRedis.xlen(STREAM_KEY);
      if (now > length) lastProgressAt = nowMs();
      length = now;
      if (length > 0 && firstEntryAt === null) firstEntryAt = nowMs();
      if (length >= n) break;
      if (nowMs() - lastProgressAt > STALL_MS) {
        stalled = true;
        break;
      }
      await delay(POLL_MS);
    }
    const finished = nowMs();
    const processCpu = process.cpuUsage(processCpuBefore);
    const windowEnd = monotonicMicros();
    const productOthers = otherLoad(cpuBefore, cpuSnapshot())?.othersShare ?? null;
    const reached = length >= n;
    const seconds = (finished - started) / 1000;
    const product = reached ? n / seconds : null;
    log(
      reached
        ? `Sluice: ${n} entries in ${round(seconds, 2)} s → ${formatRate(product!)}/s ` +
            `(this process's CPU: ${round((processCpu.user + processCpu.system) / n, 1)} µs per change)`
        : `Sluice: only ${length} of ${n} entries after ${round(seconds, 1)} s (${stalled ? 'no progress for 60 s' : 'BENCH_CATCHUP_TIMEOUT_S'})`,
    );
    // The slot must move past what was delivered (the flush LSN is reported every second).
    let confirmed = await confirmedFlushLsn(url, SLUICE_SLOT);
    for (let i = 0; i < 50 && !(confirmed && lsnGte(confirmed, endLsn)); i++) {
      await delay(100);
      confirmed = await confirmedFlushLsn(url, SLUICE_SLOT);
    }
    const slotConfirmed = confirmed !== null && lsnGte(confirmed, endLsn);
    if (!slotConfirmed) notes.push(`Sluice's slot confirmed ${confirmed}, not past the pre-load's end ${endLsn}`);
    const rssMb = process.memoryUsage().rss / 1024 / 1024;
    await sluice.close();

    // 6. Correctness: every change once, right content, total commit order.
    const check = await checkCatchUpStream(sinkRedis, STREAM_KEY, plan, SAMPLE_SIZE);
    log(
      `check: ${check.entries} entries, ${check.unique} unique, ${check.duplicates} duplicates, ` +
        `${check.missing} missing, ${check.outOfOrder} out of order, ${check.wrongContent} wrong → ${check.ok ? 'OK' : 'FAILED'}`,
    );
    notes.push(...check.problems.map((p) => `check: ${p}`));
    await sinkRedis.del(STREAM_KEY);

    // 7. Write limits, with entries of the product's own stream (same sizes, same JSON).
    const nodeXadd = !settings.limits
      ? skip('bare XADD')
      : check.sample.length > 0
        ? await attempt('bare ioredis pipelined XADD', () =>
            bareXaddRate(
              env.redis.url,
              XADD_LIMIT_KEY,
              check.sample,
              settings.xaddEntries,
              settings.xaddPipeline,
              settings.xaddInFlight,
            ),
          )
        : (notes.push('no stream entries to replay: bare XADD skipped'), null);
    const redisBenchmark = !settings.limits
      ? skip('redis-benchmark')
      : env.redisBenchmark
        ? await attempt('redis-benchmark -P 64 XADD', () =>
            redisBenchmarkXaddRate(
              env.redisBenchmark!,
              env.redis.port,
              REDIS_BENCHMARK_KEY,
              settings.redisBenchmarkRequests,
              Math.round(check.averageEntryBytes) || 400,
            ),
          )
        : (notes.push('redis-benchmark not found: skipped'), null);

    const limits = [
      nodeDecode && { name: 'bare pgoutput decode', rate: nodeDecode.rate },
      nodeXadd && { name: 'bare XADD', rate: nodeXadd.rate },
    ].filter((l): l is { name: string; rate: number } => l !== null);
    const binding = limits.length === 0 ? null : limits.reduce((a, b) => (b.rate < a.rate ? b : a));
    const limit = binding?.rate ?? null;
    const ratio = ratioOf(product, limit);
    notes.unshift(
      `limits: pg_recvlogical ${rateText(recvlogical)}, bare Node pgoutput decode ${rateText(nodeDecode)}, ` +
        `bare ioredis XADD ${rateText(nodeXadd)}, redis-benchmark -P64 XADD ${rateText(redisBenchmark)} (changes|entries/s)`,
      `product: ${n} changes (${plan.inserts}/${plan.updates}/${plan.deletes} ins/upd/del, ${plan.transactions} txns), ` +
        `first entry ${firstEntryAt === null ? '—' : `${round((firstEntryAt - started) / 1000, 2)} s`} after worker start, ` +
        `${reached ? `all in ${round(seconds, 2)} s` : `${length} after ${round(seconds, 1)} s`}; ` +
        `entry ≈${Math.round(check.averageEntryBytes)} B`,
    );
    if (limits.length < 2) notes.push('ratio uses only the limits that could be measured');
    const share = (value: number | null | undefined): string =>
      value === null || value === undefined ? '—' : `${Math.round(value * 100)} %`;
    notes.push(
      `CPU taken by other processes: product ${share(productOthers)}, pg_recvlogical ${share(recvlogical?.othersShare)}, ` +
        `bare decode ${share(nodeDecode?.othersShare)}, bare XADD ${share(nodeXadd?.othersShare)}`,
    );
    return {
      product,
      limit,
      ratio,
      target: '≥ 50k changes/s and ratio ≥ 0.4',
      unit: 'changes/s',
      targetMet: product === null || ratio === null ? false : product >= 50_000 && ratio >= 0.4,
      correct: reached && check.ok,
      productText: product === null ? `timed out (${length}/${n})` : `${formatRate(product)} changes/s`,
      limitText: binding ? `${formatRate(binding.rate)}/s (${binding.name})` : '—',
      notes,
      details: {
        changes: n,
        plan,
        txn_size: settings.txnSize,
        sink_batch_size: settings.sinkBatchSize ?? 'product default',
        preload_seconds: round(preloadSeconds, 2),
        end_lsn: endLsn,
        /** The product's phase on the monotonic clock, for bench/profile-summary with --cpu-prof. */
        profile_window_us: [windowStart, windowEnd],
        product: {
          seconds: round(seconds, 3),
          worker_bootstrap_seconds: round((workerReady - started) / 1000, 3),
          first_entry_after_seconds: firstEntryAt === null ? null : round((firstEntryAt - started) / 1000, 3),
          rate_after_first_entry:
            firstEntryAt === null || !reached ? null : round(n / ((finished - firstEntryAt) / 1000), 0),
          entries_seen: length,
          slot_confirmed_past_end: slotConfirmed,
          other_processes_cpu_share: productOthers === null ? null : round(productOthers, 3),
          process_rss_mb: round(rssMb, 0),
          /** CPU time of the process running Sluice (worker, API and the bench's polling) per change. */
          process_cpu_us_per_change: round((processCpu.user + processCpu.system) / n, 2),
        },
        limits: {
          binding: binding?.name ?? null,
          pg_recvlogical_test_decoding: measurement(recvlogical),
          bare_node_pgoutput_decode: measurement(nodeDecode),
          bare_ioredis_xadd: nodeXadd && {
            ...measurement(nodeXadd),
            pipeline: settings.xaddPipeline,
            in_flight: settings.xaddInFlight,
          },
          redis_benchmark_xadd_p64: measurement(redisBenchmark),
          errors: limitErrors,
        },
        check: {
          ok: check.ok,
          entries: check.entries,
          unique: check.unique,
          duplicates: check.duplicates,
          missing: check.missing,
          unexpected: check.unexpected,
          out_of_order: check.outOfOrder,
          wrong_content: check.wrongContent,
          average_entry_bytes: round(check.averageEntryBytes, 0),
          problems: check.problems,
        },
      },
    };
  } finally {
    sinkRedis.disconnect();
    await sluice.close().catch(() => undefined);
    await dropSlots(url, [SLUICE_SLOT, RECVLOGICAL_SLOT, NODE_SLOT]).catch(() => undefined);
    await env.dropDatabase(DATABASE).catch(() => undefined);
  }
}

function rateText(measured: RateMeasurement | null): string {
  return measured === null ? '—' : formatRate(measured.rate);
}

function measurement(measured: RateMeasurement | null): Record<string, number | null> | null {
  return (
    measured && {
      rate: round(measured.rate, 0),
      seconds: round(measured.seconds, 3),
      count: measured.count,
      other_processes_cpu_share: measured.othersShare == null ? null : round(measured.othersShare, 3),
    }
  );
}
