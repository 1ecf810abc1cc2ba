import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type BenchCase, type CaseContext, type CaseResult, ratioOf } from '../lib/case.js';
import { monotonicMicros, nowMs } from '../lib/clock.js';
import { formatRate, lsnGte, round } from '../lib/format.js';
import { bareNodeDecodeRate, bareXaddRate } from '../lib/limits.js';
import { cpuByProcess, cpuPerUnit, cpuSnapshot, otherLoad } from '../lib/machine-load.js';
import { measureLimit, measurementJson, percent, rateText } from '../lib/measure.js';
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
import { checkStoredMessages, countStored, highestStoredSeq, type StoredCheck } from '../lib/stored-check.js';
import { checkStringCache, compareRows, expectedRows, type StringCheck } from '../lib/string-check.js';
import { checkCatchUpStream, type StreamCheck } from '../lib/stream-check.js';

const DATABASE = 'bench_fanout';
const PUBLICATION = 'bench_fanout_pub';
const SLUICE_SLOT = 'bench_fanout_sluice';
const NODE_SLOT = 'bench_fanout_node_pgoutput';
const STREAM_KEYS = ['bench:fan-out:a', 'bench:fan-out:b'];
const XADD_LIMIT_KEY = 'bench:fan-out:xadd-limit';
/** The redis_string sink's own database of the bench Redis, so DBSIZE counts only its keys. */
const STRING_DB = 1;
const SAMPLE_SIZE = 5_000;
const STRING_SAMPLE = 1_000;
const POLL_MS = 20;
const STALL_MS = 60_000;

/**
 * Issue 6's third case: the catch-up's pre-load (same data, same limit) into four sinks on one slot —
 * two redis_stream, one redis_string, one sequin_stream — timed per sink from the worker's start
 * until that sink holds everything.
 */
export const benchCase: BenchCase = {
  name: 'fan-out',
  order: 25,
  title: 'fan-out → 2 redis_stream + redis_string + sequin_stream',
  run,
};

interface SinkProgress {
  name: string;
  kind: 'redis_stream' | 'redis_string' | 'sequin_stream';
  id?: string;
  /** What the last poll saw: entries, keys or stored messages. */
  seen: number;
  doneAt: number | null;
  firstAt: number | null;
}

async function run({ env, settings, log }: CaseContext): Promise<CaseResult> {
  const n = settings.changes;
  const url = await env.createDatabase(DATABASE);
  await withClient(url, async (client) => {
    await client.query(CREATE_BENCH_TABLE);
    await client.query(`CREATE PUBLICATION ${PUBLICATION} FOR TABLE ${BENCH_TABLE}`);
  });
  const sinkRedis = new Redis(env.redis.url);
  const stringRedis = new Redis(env.redis.url, { db: STRING_DB });
  const sluice = await startSluice(env, 'fan-out', { logLevel: settings.logLevel });
  const metadata = new pg.Client(sluice.config.databaseUrl);
  metadata.on('error', () => undefined); // close() drops its database under it
  await metadata.connect();
  const notes: string[] = [];
  const limitErrors: Record<string, string> = {};
  const out = { log, notes, errors: limitErrors };
  try {
    // 1. Database and the four sinks, worker not running: their start_lsn is before the pre-load.
    const database = await sluice.request<{ id: string }>('POST', '/postgres_databases', {
      name: 'bench',
      url,
      replication_slots: [{ publication_name: PUBLICATION, slot_name: SLUICE_SLOT }],
      create_slot_if_missing: true,
    });
    await sinkRedis.del(...STREAM_KEYS);
    await stringRedis.flushdb();
    const batch = settings.sinkBatchSize === undefined ? {} : { batch_size: settings.sinkBatchSize };
    const redis = { host: '127.0.0.1', port: env.redis.port };
    const sinks: SinkProgress[] = [];
    const createSink = async (name: string, kind: SinkProgress['kind'], destination: object): Promise<void> => {
      const sink = await sluice.request<{ id: string }>('POST', '/sinks', {
        name,
        database: database.id,
        destination: { type: kind, ...destination },
        ...(kind === 'sequin_stream' ? {} : batch),
      });
      sinks.push({ name, kind, id: sink.id, seen: 0, doneAt: null, firstAt: null });
    };
    for (const [i, key] of STREAM_KEYS.entries()) {
      await createSink(`fan-stream-${'ab'[i]}`, 'redis_stream', { ...redis, stream_key: key });
    }
    await createSink('fan-string', 'redis_string', {
      ...redis,
      database: STRING_DB,
      key_format: 'qualified',
      value: 'record',
    });
    await createSink('fan-sequin', 'sequin_stream', {});
    await createSlot(url, NODE_SLOT, 'pgoutput');

    // 2. Pre-load, exactly as the catch-up does.
    const preloadStarted = nowMs();
    const plan = await preload(url, n, settings.mix, settings.txnSize, (done) =>
      log(`pre-load: ${done.toLocaleString('en-US')} / ${n.toLocaleString('en-US')} changes`),
    );
    const endLsn = await currentWalLsn(url);
    const preloadSeconds = (nowMs() - preloadStarted) / 1000;
    log(`pre-loaded ${plan.total} changes in ${plan.transactions} transactions (${round(preloadSeconds, 1)} s)`);
    const survivors = plan.firstDeleted - 1;
    // The redis_string sink is done when it has as many keys as rows survive and a sample of them
    // (spread over the ids, updated and not) holds the final values.
    const stringSample = await withClient(url, (client) =>
      expectedRows(client, `id % $1 = 0 OR id = $2 OR id = 1`, [
        Math.max(1, Math.floor(survivors / STRING_SAMPLE)),
        survivors,
      ]),
    );
    const timeoutMs = settings.catchUpTimeoutS * 1000;

    // 3. Decode limit before Sluice runs.
    const nodeDecode = settings.limits
      ? await measureLimit(
          'bare Node pgoutput decode',
          () => bareNodeDecodeRate(url, NODE_SLOT, PUBLICATION, n, timeoutMs),
          out,
        )
      : null;
    await dropSlots(url, [NODE_SLOT]);

    // 4. The product: start the worker, poll every sink until it holds everything.
    const sequinSink = sinks.find((s) => s.kind === 'sequin_stream')!;
    const storedSeqBefore = await highestStoredSeq(metadata, sequinSink.id!);
    log('starting the Sluice worker');
    const windowStart = monotonicMicros();
    const cpuBefore = cpuSnapshot();
    const started = nowMs();
    await sluice.startWorker();
    const workerReady = nowMs();
    let lastProgressAt = started;
    // What every sink held, once a second: shows whether the sinks move together (one bounds the slot).
    const timeline: Array<{ t: number; seen: number[] }> = [];
    let stalled = false;
    const seenNow = async (sink: SinkProgress): Promise<number> => {
      if (sink.kind === 'redis_stream') return sinkRedis.xlen(STREAM_KEYS[sinks.indexOf(sink)]!);
      if (sink.kind === 'redis_string') {
        const keys = await stringRedis.dbsize();
        return keys === survivors && (await compareRows(stringRedis, stringSample)).every((v) => v === 'ok')
          ? n
          : Math.min(keys, n - 1);
      }
      const estimate = (await highestStoredSeq(metadata, sink.id!)) - storedSeqBefore;
      return estimate < n ? Math.min(estimate, n - 1) : countStored(metadata, sink.id!);
    };
    while (sinks.some((s) => s.doneAt === null) && nowMs() - started < timeoutMs) {
      const now = nowMs();
      for (const sink of sinks.filter((s) => s.doneAt === null)) {
        const seen = await seenNow(sink);
        if (seen !== sink.seen) lastProgressAt = nowMs();
        sink.seen = seen;
        if (seen > 0) sink.firstAt ??= nowMs();
        if (seen >= n) {
          sink.doneAt = nowMs();
          log(`${sink.name}: everything after ${round((sink.doneAt - started) / 1000, 2)} s`);
        }
      }
      if (now - started >= timeline.length * 1000) {
        timeline.push({
          t: round((now - started) / 1000, 2),
          seen: sinks.map((s) => (s.doneAt === null ? s.seen : n)),
        });
      }
      if (nowMs() - lastProgressAt > STALL_MS) {
        stalled = true;
        break;
      }
      await delay(POLL_MS);
    }
    const finished = nowMs();
    const windowEnd = monotonicMicros();
    const cpuAfter = cpuSnapshot();
    const productOthers = otherLoad(cpuBefore, cpuAfter)?.othersShare ?? null;
    // Where the two cores go while the four sinks run: which process bounds the case.
    const productCpu = cpuByProcess(cpuBefore, cpuAfter);
    for (const sink of sinks.filter((s) => s.doneAt === null)) {
      notes.push(`${sink.name}: only ${sink.seen} of ${n} after ${round((finished - started) / 1000, 1)} s`);
    }
    if (stalled) notes.push('gave up: no sink progressed for 60 s');
    let confirmed = await confirmedFlushLsn(url, SLUICE_SLOT);
    for (let i = 0; i < 50 && !(confirmed && lsnGte(confirmed, endLsn)); i++) {
      await delay(100);
      confirmed = await confirmedFlushLsn(url, SLUICE_SLOT);
    }
    const slotConfirmed = confirmed !== null && lsnGte(confirmed, endLsn);
    if (!slotConfirmed) notes.push(`Sluice's slot confirmed ${confirmed}, not past the pre-load's end ${endLsn}`);

    // 5. Correctness, per sink (stream_messages before close(): it drops the metadata database).
    const sequin = sinks.find((s) => s.kind === 'sequin_stream')!;
    const stored = await checkStoredMessages(metadata, sequin.id!, plan);
    await metadata.end();
    await sluice.close();
    const streamChecks: StreamCheck[] = [];
    for (const key of STREAM_KEYS) streamChecks.push(await checkCatchUpStream(sinkRedis, key, plan, SAMPLE_SIZE));
    const strings = await withClient(url, (client) => checkStringCache(stringRedis, client));
    logChecks(log, streamChecks, strings, stored);
    streamChecks.forEach((check, i) => notes.push(...check.problems.map((p) => `check ${STREAM_KEYS[i]}: ${p}`)));
    notes.push(...strings.problems.map((p) => `check redis_string: ${p}`));
    notes.push(...stored.problems.map((p) => `check sequin_stream: ${p}`));
    await sinkRedis.del(...STREAM_KEYS);
    await stringRedis.flushdb();

    // 6. Write limit with the product's own entries.
    const sample = streamChecks[0]!.sample;
    const nodeXadd =
      settings.limits && sample.length > 0
        ? await measureLimit(
            'bare ioredis pipelined XADD',
            () =>
              bareXaddRate(
                env.redis.url,
                XADD_LIMIT_KEY,
                sample,
                settings.xaddEntries,
                settings.xaddPipeline,
                settings.xaddInFlight,
              ),
            out,
          )
        : null;
    if (!settings.limits) notes.push('limits skipped (BENCH_LIMITS=off)');

    const limits = [
      nodeDecode && { name: 'bare pgoutput decode', rate: nodeDecode.rate },
      nodeXadd && { name: 'bare XADD', rate: nodeXadd.rate },
    ].filter((l): l is { name: string; rate: number } => l !== null);
    const binding = limits.length === 0 ? null : limits.reduce((a, b) => (b.rate < a.rate ? b : a));
    const limit = binding?.rate ?? null;
    const rateOf = (sink: SinkProgress): number | null =>
      sink.doneAt === null ? null : n / ((sink.doneAt - started) / 1000);
    const rates = sinks.map(rateOf);
    const slowest = rates.some((r) => r === null) ? null : Math.min(...(rates as number[]));
    const ratio = ratioOf(slowest, limit);
    const label = (sink: SinkProgress): string =>
      sink.kind === 'redis_string' ? 'string' : sink.kind === 'sequin_stream' ? 'sequin' : sink.name.slice(-1);
    notes.unshift(
      `limits: bare Node pgoutput decode ${rateText(nodeDecode)}, bare ioredis XADD ${rateText(nodeXadd)} (changes|entries/s)`,
      `per sink (changes/s, ratio): ${sinks
        .map((s, i) => {
          const r = rates[i];
          return `${s.name} ${r === null ? '—' : formatRate(r)} (${r === null || limit === null ? '—' : (r / limit).toFixed(2)}, first after ${s.firstAt === null ? '—' : round((s.firstAt - started) / 1000, 2)} s)`;
        })
        .join(', ')}`,
      `product: ${n} changes (${plan.inserts}/${plan.updates}/${plan.deletes} ins/upd/del, ${plan.transactions} txns); ` +
        `worker bootstrap ${round((workerReady - started) / 1000, 2)} s; redis_string done = ${survivors} keys and ` +
        `${stringSample.length} sampled values final; sequin_stream done = its highest seq says all and count(*) agrees`,
    );
    const middle = timeline[Math.floor(timeline.length / 2)];
    if (middle) {
      notes.push(
        `half-way (${middle.t} s): ${sinks.map((sink, i) => `${sink.name} ${middle.seen[i]}`).join(', ')} ` +
          `(redis_string: keys; sequin_stream: highest seq stored)`,
      );
    }
    const cpu = cpuPerUnit(productCpu, finished - started, n, 'change');
    notes.push(cpu.note);
    notes.push(
      `CPU taken by other processes: product ${percent(productOthers)}, bare decode ${percent(nodeDecode?.othersShare)}, ` +
        `bare XADD ${percent(nodeXadd?.othersShare)}`,
    );
    const correct = sinks.every((s) => s.doneAt !== null) && streamChecks.every((c) => c.ok) && strings.ok && stored.ok;
    return {
      product: slowest,
      limit,
      ratio,
      target: 'ratio ≥ 0.25 per sink',
      unit: 'changes/s',
      targetMet: limit === null || rates.some((r) => r === null) ? false : rates.every((r) => r! / limit >= 0.25),
      correct,
      productText: sinks.map((s, i) => `${label(s)} ${rates[i] === null ? '—' : formatRate(rates[i]!)}`).join(' / '),
      limitText: binding ? `${formatRate(binding.rate)}/s (${binding.name})` : '—',
      notes,
      details: {
        changes: n,
        plan,
        txn_size: settings.txnSize,
        sink_batch_size: settings.sinkBatchSize ?? 'product default',
        preload_seconds: round(preloadSeconds, 2),
        end_lsn: endLsn,
        profile_window_us: [windowStart, windowEnd],
        product: {
          slowest_rate: slowest === null ? null : round(slowest, 0),
          worker_bootstrap_seconds: round((workerReady - started) / 1000, 3),
          slot_confirmed_past_end: slotConfirmed,
          other_processes_cpu_share: productOthers === null ? null : round(productOthers, 3),
          cores_by_process: cpu.rows,
          timeline_sinks: sinks.map((s) => s.name),
          timeline,
          sinks: sinks.map((s, i) => ({
            name: s.name,
            kind: s.kind,
            rate: rates[i] === null ? null : round(rates[i]!, 0),
            ratio: rates[i] === null || limit === null ? null : round(rates[i]! / limit, 3),
            seconds: s.doneAt === null ? null : round((s.doneAt - started) / 1000, 3),
            first_after_seconds: s.firstAt === null ? null : round((s.firstAt - started) / 1000, 3),
            seen: s.seen,
          })),
        },
        limits: {
          binding: binding?.name ?? null,
          bare_node_pgoutput_decode: measurementJson(nodeDecode),
          bare_ioredis_xadd: nodeXadd && {
            ...measurementJson(nodeXadd),
            pipeline: settings.xaddPipeline,
            in_flight: settings.xaddInFlight,
          },
          errors: limitErrors,
        },
        check: {
          streams: streamChecks.map((c, i) => ({
            key: STREAM_KEYS[i],
            ok: c.ok,
            entries: c.entries,
            unique: c.unique,
            duplicates: c.duplicates,
            missing: c.missing,
            unexpected: c.unexpected,
            out_of_order: c.outOfOrder,
            wrong_content: c.wrongContent,
          })),
          redis_string: strings,
          sequin_stream: stored,
        },
      },
    };
  } finally {
    await metadata.end().catch(() => undefined);
    await sinkRedis.del(...STREAM_KEYS, XADD_LIMIT_KEY).catch(() => undefined);
    await stringRedis.flushdb().catch(() => undefined);
    sinkRedis.disconnect();
    stringRedis.disconnect();
    await sluice.close().catch(() => undefined);
    await dropSlots(url, [SLUICE_SLOT, NODE_SLOT]).catch(() => undefined);
    await env.dropDatabase(DATABASE).catch(() => undefined);
  }
}

function logChecks(log: (m: string) => void, streams: StreamCheck[], strings: StringCheck, stored: StoredCheck): void {
  for (const check of streams) {
    log(
      `check stream: ${check.entries} entries, ${check.unique} unique, ${check.missing} missing, ` +
        `${check.outOfOrder} out of order, ${check.wrongContent} wrong → ${check.ok ? 'OK' : 'FAILED'}`,
    );
  }
  log(
    `check redis_string: ${strings.rows} rows, ${strings.keys} keys, ${strings.missing} missing, ` +
      `${strings.wrongValue} wrong, ${strings.extra} extra → ${strings.ok ? 'OK' : 'FAILED'}`,
  );
  log(
    `check sequin_stream: ${stored.stored} stored, ${stored.duplicates} duplicates, ${stored.missing} missing, ` +
      `${stored.outOfOrder} out of group order → ${stored.ok ? 'OK' : 'FAILED'}`,
  );
}
