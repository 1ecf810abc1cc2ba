import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type BenchCase, type CaseContext, type CaseResult, ratioOf } from '../lib/case.js';
import { quantile, monotonicMicros, nowMs } from '../lib/clock.js';
import { findPsql, psqlCopyRate } from '../lib/copy-limit.js';
import { formatRate, round } from '../lib/format.js';
import type { RateMeasurement } from '../lib/limits.js';
import { cpuByProcess, cpuPerUnit, cpuSnapshot, otherLoad } from '../lib/machine-load.js';
import { intKnob, measureLimit, measurementJson, percent, rateText } from '../lib/measure.js';
import { startSluice } from '../lib/sluice.js';
import { BENCH_TABLE, CREATE_BENCH_TABLE, dropSlots, preload, withClient } from '../lib/source.js';
import { checkStringCache } from '../lib/string-check.js';

const DATABASE = 'bench_backfill';
const PUBLICATION = 'bench_backfill_pub';
const SLOT = 'bench_backfill_sluice';
const SINK = 'bench-backfill';
/** The sink's own database of the bench Redis, so DBSIZE counts only its keys. */
const SINK_DB = 2;
const COLUMNS = 'id, name, amount, payload, updated_at';
const POLL_MS = 50;
const STALL_MS = 60_000;
/** The page size the product reaches with the default max_ack_pending (10000 / 2): for the read diagnostic. */
const PRODUCT_PAGE = 5_000;

/**
 * Issue 5's benchmark / issue 6's fifth case: a table of BENCH_BACKFILL_ROWS bench rows backfilled
 * into a redis_string sink with the worker running; rows/s from the POST until the backfill is
 * completed and every row's key exists, against `COPY (SELECT …) TO STDOUT` of the same table.
 */
export const benchCase: BenchCase = {
  name: 'backfill',
  order: 40,
  title: 'backfill → 1 redis_string',
  run,
};

interface Backfill {
  id: string;
  state: string;
  rows_initial_count: number | null;
  rows_processed_count: number;
  rows_ingested_count: number;
  error: string | null;
}

/** What one poll saw. */
interface Sample {
  at: number;
  processed: number;
  keys: number;
}

async function run({ env, settings, log }: CaseContext): Promise<CaseResult> {
  const rows = intKnob('BENCH_BACKFILL_ROWS', 200_000, 100);
  const timeoutMs = intKnob('BENCH_BACKFILL_TIMEOUT_S', 600) * 1000;
  const url = await env.createDatabase(DATABASE);
  const loadStarted = nowMs();
  await withClient(url, (client) => client.query(CREATE_BENCH_TABLE));
  await preload(url, rows, { insert: 100, update: 0 }, 50_000, (done) => log(`loading: ${done} / ${rows} rows`));
  await withClient(url, async (client) => {
    // Both readers then find the same all-visible, hinted pages.
    await client.query(`VACUUM ANALYZE ${BENCH_TABLE}`);
    await client.query(`CREATE PUBLICATION ${PUBLICATION} FOR TABLE ${BENCH_TABLE}`);
  });
  log(`loaded ${rows} rows in ${round((nowMs() - loadStarted) / 1000, 1)} s`);
  const sinkRedis = new Redis(env.redis.url, { db: SINK_DB });
  await sinkRedis.flushdb();
  const notes: string[] = [];
  const limitErrors: Record<string, string> = {};
  const out = { log, notes, errors: limitErrors };
  const psql = await findPsql();
  const select = `SELECT ${COLUMNS} FROM ${BENCH_TABLE}`;
  const copyLimit = (): Promise<RateMeasurement | null> =>
    !settings.limits || psql === undefined
      ? Promise.resolve(null)
      : measureLimit('psql COPY (SELECT …) TO STDOUT', () => psqlCopyRate(psql, url, select, rows), out);
  if (psql === undefined) notes.push('psql not found beside the server binaries: no limit');
  const sluice = await startSluice(env, 'backfill', { logLevel: settings.logLevel });
  try {
    // 1. Limits first, with Sluice idle: COPY, and a keyset read like the product's pages (diagnostic).
    const copyBefore = await copyLimit();
    const keyset = settings.limits ? await keysetReadRate(url, PRODUCT_PAGE, rows) : null;

    // 2. Sluice with the worker running, then the sink.
    const database = await sluice.request<{ id: string }>('POST', '/postgres_databases', {
      name: 'bench',
      url,
      replication_slots: [{ publication_name: PUBLICATION, slot_name: SLOT }],
      create_slot_if_missing: true,
    });
    await sluice.startWorker();
    await sluice.request('POST', '/sinks', {
      name: SINK,
      database: database.id,
      destination: {
        type: 'redis_string',
        host: '127.0.0.1',
        port: env.redis.port,
        database: SINK_DB,
        key_format: 'qualified',
        value: 'record',
      },
      ...(settings.sinkBatchSize === undefined ? {} : { batch_size: settings.sinkBatchSize }),
    });
    const sinkUp = await waitUntilHealthy(sluice.request.bind(sluice), 30_000);
    if (!sinkUp) notes.push('the sink was not healthy 30 s after creation; the backfill was started anyway');

    // 3. The product: POST the backfill, poll until completed and every key is there.
    log(`backfilling ${rows} rows`);
    const windowStart = monotonicMicros();
    const cpuBefore = cpuSnapshot();
    const processCpuBefore = process.cpuUsage();
    const started = nowMs();
    const created = await sluice.request<Backfill>('POST', `/sinks/${SINK}/backfills`, { table: BENCH_TABLE });
    const samples: Sample[] = [];
    let backfill = created;
    let completedAt: number | null = null;
    let keysAt: number | null = null;
    let lastProgressAt = started;
    let problem: string | null = null;
    while (nowMs() - started < timeoutMs) {
      backfill = await sluice.request<Backfill>('GET', `/sinks/${SINK}/backfills/${created.id}`);
      const keys = await sinkRedis.dbsize();
      const at = nowMs();
      const last = samples.at(-1);
      if (!last || last.processed !== backfill.rows_processed_count || last.keys !== keys) {
        samples.push({ at, processed: backfill.rows_processed_count, keys });
        lastProgressAt = at;
      }
      if (backfill.state === 'completed') completedAt ??= at;
      if (keys >= rows) keysAt ??= at;
      if (completedAt !== null && keysAt !== null) break;
      if (['failed', 'cancelled'].includes(backfill.state)) {
        problem = `backfill ${backfill.state}: ${backfill.error ?? 'no error given'}`;
        break;
      }
      if (at - lastProgressAt > STALL_MS) {
        problem = `no progress for ${STALL_MS / 1000} s`;
        break;
      }
      await delay(POLL_MS);
    }
    const finished = nowMs();
    const windowEnd = monotonicMicros();
    const processCpu = process.cpuUsage(processCpuBefore);
    const cpuPerRow = (processCpu.user + processCpu.system) / rows;
    const cpuAfter = cpuSnapshot();
    const productOthers = otherLoad(cpuBefore, cpuAfter)?.othersShare ?? null;
    // The source's page reads, the worker and the sink Redis share two cores: what each costs per row.
    const cpu = cpuPerUnit(cpuByProcess(cpuBefore, cpuAfter), finished - started, rows, 'row');
    const done = completedAt !== null && keysAt !== null;
    if (!done) problem ??= `timed out after ${timeoutMs / 1000} s (BENCH_BACKFILL_TIMEOUT_S)`;
    if (problem) notes.push(problem);
    const seconds = (finished - started) / 1000;
    const product = done ? rows / seconds : null;
    log(
      done
        ? `Sluice: ${rows} rows in ${round(seconds, 2)} s → ${formatRate(product!)}/s ` +
            `(this process's CPU: ${round(cpuPerRow, 1)} µs per row)`
        : `Sluice: ${problem}; ${backfill.rows_processed_count} rows processed`,
    );
    await sluice.close();

    // 4. Correctness: every row's key holds that row as Sluice encodes it.
    const check = await withClient(url, (client) => checkStringCache(sinkRedis, client));
    log(
      `check: ${check.rows} rows, ${check.keys} keys, ${check.missing} missing, ${check.wrongValue} wrong, ` +
        `${check.extra} extra → ${check.ok ? 'OK' : 'FAILED'}`,
    );
    notes.push(...check.problems.map((p) => `check: ${p}`));
    await sinkRedis.flushdb();

    // 5. COPY again: the limit is the faster of the two (the machine is noisy).
    const copyAfter = await copyLimit();
    const copies = [copyBefore, copyAfter].filter((c): c is RateMeasurement => c !== null);
    const limit = copies.length === 0 ? null : Math.max(...copies.map((c) => c.rate));
    const ratio = ratioOf(product, limit);
    const pages = pageStats(samples, started);
    notes.unshift(
      `limits: psql COPY ${rateText(copyBefore)} before, ${rateText(copyAfter)} after (rows/s; the faster counts); ` +
        `node-pg keyset read in pages of ${PRODUCT_PAGE} ${keyset === null ? '—' : `${formatRate(keyset.rate)} rows/s (${round(keyset.msPerPage, 1)} ms a page)`} (diagnostic)`,
      `product: ${rows} rows in ${round(seconds, 2)} s; completed after ${secondsText(completedAt, started)}, all keys after ` +
        `${secondsText(keysAt, started)}; first progress after ${round(pages.firstProgressS ?? NaN, 2)} s; ` +
        `${pages.pages} pages seen, rows a page p50 ${pages.rowsP50} / max ${pages.rowsMax}, ` +
        `time a page p50 ${round(pages.msP50, 0)} / max ${round(pages.msMax, 0)} ms (poll ${POLL_MS} ms)`,
    );
    notes.push(cpu.note);
    notes.push(
      `CPU taken by other processes: product ${percent(productOthers)}, COPY ${percent(copyBefore?.othersShare)} / ` +
        `${percent(copyAfter?.othersShare)}`,
    );
    return {
      product,
      limit,
      ratio,
      target: 'ratio ≥ 0.5',
      unit: 'rows/s',
      targetMet: ratio === null ? false : ratio >= 0.5,
      correct: done && check.ok && check.rows === rows,
      productText: product === null ? 'did not finish' : `${formatRate(product)} rows/s`,
      limitText: limit === null ? '—' : `${formatRate(limit)}/s (psql COPY)`,
      notes,
      details: {
        rows,
        sink_batch_size: settings.sinkBatchSize ?? 'product default',
        profile_window_us: [windowStart, windowEnd],
        product: {
          seconds: round(seconds, 3),
          /** CPU of the process running Sluice (API and worker; the bench's polling too) per row. */
          process_cpu_us_per_row: round(cpuPerRow, 2),
          completed_after_seconds: completedAt === null ? null : round((completedAt - started) / 1000, 3),
          all_keys_after_seconds: keysAt === null ? null : round((keysAt - started) / 1000, 3),
          backfill,
          pages,
          progress: samples.map((s) => ({
            t: round((s.at - started) / 1000, 3),
            processed: s.processed,
            keys: s.keys,
          })),
          other_processes_cpu_share: productOthers === null ? null : round(productOthers, 3),
          cores_by_process: cpu.rows,
        },
        limits: {
          psql_copy_before: measurementJson(copyBefore),
          psql_copy_after: measurementJson(copyAfter),
          node_keyset_read: keyset && { rate: round(keyset.rate, 0), ms_per_page: round(keyset.msPerPage, 2) },
          errors: limitErrors,
        },
        check,
      },
    };
  } finally {
    await sinkRedis.flushdb().catch(() => undefined);
    sinkRedis.disconnect();
    await sluice.close().catch(() => undefined);
    await dropSlots(url, [SLOT]).catch(() => undefined);
    await env.dropDatabase(DATABASE).catch(() => undefined);
  }
}

function secondsText(at: number | null, started: number): string {
  return at === null ? '—' : `${round((at - started) / 1000, 2)} s`;
}

async function waitUntilHealthy(
  request: <T>(method: string, path: string) => Promise<T>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = nowMs() + timeoutMs;
  while (nowMs() < deadline) {
    const sink = await request<{ health?: { status: string } }>('GET', `/sinks/${SINK}`);
    if (sink.health?.status === 'healthy') return true;
    await delay(100);
  }
  return false;
}

/**
 * Pages as the progress polls saw them: every rise of rows_processed_count is one saved page (two
 * pages saved within one poll count as one).
 */
function pageStats(samples: Sample[], started: number) {
  const rises: Array<{ rows: number; ms: number }> = [];
  let previous = { at: started, processed: 0 };
  for (const sample of samples) {
    if (sample.processed <= previous.processed) continue;
    rises.push({ rows: sample.processed - previous.processed, ms: sample.at - previous.at });
    previous = sample;
  }
  const rowsSorted = rises.map((r) => r.rows).sort((a, b) => a - b);
  // The first rise includes the start-up (count, first query): keep it out of the page times.
  const msSorted = rises
    .slice(1)
    .map((r) => r.ms)
    .sort((a, b) => a - b);
  const first = samples.find((s) => s.processed > 0);
  return {
    pages: rises.length,
    firstProgressS: first === undefined ? null : (first.at - started) / 1000,
    rowsP50: quantile(rowsSorted, 0.5),
    rowsMax: rowsSorted.at(-1) ?? NaN,
    msP50: quantile(msSorted, 0.5),
    msMax: msSorted.at(-1) ?? NaN,
  };
}

/**
 * How fast one node-pg client reads the table in keyset pages of `pageSize` rows with every value as
 * text (as the product's page query does), nothing else done: what the product's reads cost alone.
 */
async function keysetReadRate(
  url: string,
  pageSize: number,
  rows: number,
): Promise<{ rate: number; msPerPage: number } | null> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const text = { getTypeParser: () => (value: string) => value };
    const started = nowMs();
    let after = '0';
    let read = 0;
    let pages = 0;
    for (;;) {
      const result = await client.query<Record<string, string>>({
        text: `SELECT ${COLUMNS} FROM ${BENCH_TABLE} WHERE id > $1 ORDER BY id LIMIT ${pageSize}`,
        values: [after],
        types: text as unknown as pg.CustomTypesConfig,
      });
      pages++;
      if (result.rows.length === 0) break;
      read += result.rows.length;
      after = result.rows.at(-1)!.id!;
    }
    const ms = nowMs() - started;
    return read === rows ? { rate: rows / (ms / 1000), msPerPage: ms / pages } : null;
  } finally {
    await client.end();
  }
}
