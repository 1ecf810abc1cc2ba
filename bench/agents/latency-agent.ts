import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { formatIsoMicros, nowMs, parseIsoMicros, quantile } from '../lib/clock.js';

/**
 * The latency case's load, in processes of their own so that neither competes with Sluice's event
 * loop (nor Sluice with them): `writer` commits inserts of `rowsPerCommit` rows at a steady rate, `reader` waits on
 * XREAD BLOCK and timestamps every entry the moment Redis hands it over.
 *
 * Protocol (IPC): the parent sends one start message with the parameters; the agent answers with
 * `{ type: 'ready' }` when connected, then `{ type: 'result', … }`. The reader also takes
 * `{ type: 'expect', count }` once the writer knows how many rows it committed.
 */
export interface WriterParams {
  role: 'writer';
  url: string;
  table: string;
  rate: number;
  durationS: number;
  writers: number;
  /** Rows per commit (one multi-row INSERT); `rate` counts rows. */
  rowsPerCommit: number;
}

export interface WriterResult {
  type: 'result';
  committed: number;
  errors: number;
  firstError: string | null;
  /** From the first scheduled insert to the last commit. */
  seconds: number;
  achievedRate: number;
  /** How far behind its schedule the writer was at the end (ms); large = it could not keep up. */
  behindMs: number;
  /** Latency of one INSERT round trip (autocommit), as the writer saw it. */
  insertP50Ms: number;
  insertP99Ms: number;
}

export interface ReaderParams {
  role: 'reader';
  redisUrl: string;
  streamKey: string;
  /** Read entries after this stream id (the warm-up's last). */
  afterId: string;
  /** The first id of the load's rows, its warm-up's included (ids are a sequence: firstRowId, firstRowId + 1, …). */
  firstRowId: number;
  /** Give up this long after the last new entry once the expected count is known. */
  idleTimeoutMs: number;
  /** Rows the load will probably write (its rate × duration): the reader's tables are made this size up front. */
  expectedRows: number;
  /** The load's first rows (by id), written while it warms up: their latency is reported apart. */
  warmUpRows: number;
  /**
   * Only the load's first rows are measured, of a longer load: later rows are skipped, and the reader
   * reports once it has every one of these (no `expect` message needed).
   */
  measuredRows?: number;
}

export interface LatencyStats {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface ReaderResult {
  type: 'result';
  entries: number;
  unique: number;
  duplicates: number;
  missing: number;
  unexpected: number;
  outOfOrder: number;
  /** XREAD time − the change's commit_timestamp, for the rows after the warm-up. */
  commitToVisible: LatencyStats;
  /** XREAD time − the row's sent_at (the writer's clock just before it sent the INSERT), after the warm-up. */
  sendToVisible: LatencyStats;
  /** commit → visible of the warm-up's rows. */
  warmUp: LatencyStats;
  /** commit → visible per 5-second window of commit time, the warm-up's included. */
  windows: Array<{ fromS: number; count: number; p50: number; p99: number; max: number }>;
  problems: string[];
}

type Params = WriterParams | ReaderParams;

process.once('message', (params: Params) => {
  const work = params.role === 'writer' ? runWriter(params) : runReader(params);
  work.then(
    (result) => process.send!(result, () => process.exit(0)),
    (error: unknown) => {
      process.stderr.write(`latency agent (${params.role}) failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
});

async function runWriter(params: WriterParams): Promise<WriterResult> {
  const clients = await Promise.all(
    Array.from({ length: params.writers }, async () => {
      const client = new pg.Client(params.url);
      await client.connect();
      return client;
    }),
  );
  const perCommit = Math.max(1, params.rowsPerCommit);
  const total = Math.round((params.rate * params.durationS) / perCommit);
  const intervalMs = (1000 * perCommit) / params.rate;
  const placeholders = Array.from(
    { length: perCommit },
    (_, r) => `($${4 * r + 1}, $${4 * r + 2}, $${4 * r + 3}, $${4 * r + 4})`,
  );
  const insert = `INSERT INTO ${params.table} (name, amount, payload, sent_at) VALUES ${placeholders.join(', ')}`;
  const insertTimes: number[] = [];
  let next = 0;
  let committed = 0;
  let errors = 0;
  let firstError: string | null = null;
  let lastCommitAt = 0;
  process.send!({ type: 'ready' });
  const started = nowMs() + 20;

  const loop = async (client: pg.Client, writer: number): Promise<void> => {
    const hex = randomBytes(16).toString('hex');
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const due = started + i * intervalMs;
      const wait = due - nowMs();
      if (wait >= 1) await delay(Math.floor(wait));
      const sentAt = nowMs();
      const values: string[] = [];
      for (let r = 0; r < perCommit; r++) {
        const row = i * perCommit + r;
        values.push(
          `customer-${row}-${writer}-${hex}`,
          `${(row % 100_000) / 100}`,
          JSON.stringify({ sku: `SKU-${row % 9973}`, qty: row % 17, tags: ['red', 'large'], note: hex }),
          formatIsoMicros(sentAt),
        );
      }
      try {
        await client.query(insert, values);
        committed += perCommit;
        lastCommitAt = nowMs();
        insertTimes.push(lastCommitAt - sentAt);
      } catch (error) {
        errors++;
        firstError ??= (error as Error).message;
        if (errors > 100) throw new Error(`writer: too many errors, first: ${firstError}`, { cause: error });
      }
    }
  };
  await Promise.all(clients.map((client, writer) => loop(client, writer)));
  const endedAt = nowMs();
  await Promise.all(clients.map((client) => client.end()));
  const seconds = (lastCommitAt - started) / 1000;
  insertTimes.sort((a, b) => a - b);
  return {
    type: 'result',
    committed,
    errors,
    firstError,
    seconds,
    achievedRate: committed / seconds,
    behindMs: Math.max(0, endedAt - (started + total * intervalMs)),
    insertP50Ms: quantile(insertTimes, 0.5),
    insertP99Ms: quantile(insertTimes, 0.99),
  };
}

async function runReader(params: ReaderParams): Promise<ReaderResult> {
  const redis = new Redis(params.redisUrl, { maxRetriesPerRequest: null });
  await redis.ping();
  let expected: number | null = params.measuredRows ?? null;
  process.on('message', (message: { type: string; count?: number }) => {
    if (message.type === 'expect') expected = message.count!;
  });
  process.send!({ type: 'ready' });

  // Typed arrays of the load's size, made before the load starts: while it runs, the reader only
  // writes into them. A Set of keys and three growing arrays were rehashed or copied whole as they
  // grew (stalls of 86, 125 and 232 ms at 26, 52 and 58 s into a run, with the machine busy), and
  // every entry XREAD returned meanwhile was timestamped that much late: the product's p99 carried
  // the reader's stalls.
  const table = new RowTable(params.expectedRows, params.warmUpRows);
  const problems: string[] = [];
  const problem = (text: string): void => {
    if (problems.length < 10) problems.push(text);
  };
  let entries = 0;
  let duplicates = 0;
  let unexpected = 0;
  let outOfOrder = 0;
  let lastLsn = -1;
  let lastIdx = -1;
  let lastId = params.afterId;
  let lastProgressAt = nowMs();

  while (
    expected === null ||
    (table.count + unexpected < expected && nowMs() - lastProgressAt < params.idleTimeoutMs)
  ) {
    const reply = (await redis.xread('COUNT', 1000, 'BLOCK', 500, 'STREAMS', params.streamKey, lastId)) as Array<
      [string, Array<[string, string[]]>]
    > | null;
    const receivedAt = nowMs();
    if (reply === null) continue;
    lastProgressAt = receivedAt;
    for (const [id, flat] of reply[0]![1]) {
      lastId = id;
      entries++;
      let metadata: { commit_lsn: number; commit_idx: number; idempotency_key: string; commit_timestamp: string };
      let record: { id: number; sent_at: string };
      try {
        const fields: Record<string, string> = {};
        for (let i = 0; i < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
        metadata = JSON.parse(fields.metadata!) as typeof metadata;
        record = JSON.parse(fields.record!) as typeof record;
      } catch {
        unexpected++;
        problem(`entry ${id}: metadata or record is not JSON`);
        continue;
      }
      const row = Number(record.id) - params.firstRowId;
      if (!Number.isInteger(row) || row < 0) {
        unexpected++;
        problem(`entry ${id}: unexpected row id ${record.id}`);
        continue;
      }
      if (params.measuredRows !== undefined && row >= params.measuredRows) {
        entries--; // a later row of a longer load: not this reader's to check
        continue;
      }
      const seen = table.seenAt(row, metadata.commit_lsn, metadata.commit_idx);
      if (seen === 'same') {
        duplicates++; // the same change again: its idempotency key is that of its position
        continue;
      }
      if (metadata.commit_lsn < lastLsn || (metadata.commit_lsn === lastLsn && metadata.commit_idx <= lastIdx)) {
        outOfOrder++;
        problem(`entry ${id}: (${metadata.commit_lsn}, ${metadata.commit_idx}) after (${lastLsn}, ${lastIdx})`);
      }
      lastLsn = metadata.commit_lsn;
      lastIdx = metadata.commit_idx;
      if (seen === 'other') {
        unexpected++;
        problem(`entry ${id}: row ${record.id} again under another idempotency key`);
        continue;
      }
      const committedAt = parseIsoMicros(metadata.commit_timestamp);
      table.add(row, metadata.commit_lsn, metadata.commit_idx, committedAt, receivedAt, parseIsoMicros(record.sent_at));
    }
  }
  redis.disconnect();
  const total = expected ?? 0;
  let missing = 0;
  for (let row = 0; row < total; row++) {
    if (!table.has(row)) {
      missing++;
      problem(`row ${params.firstRowId + row} never arrived`);
    }
  }
  return {
    type: 'result',
    entries,
    unique: table.count,
    duplicates,
    missing,
    unexpected,
    outOfOrder,
    commitToVisible: stats(table.column(COMMIT_TO_VISIBLE, 'measured')),
    sendToVisible: stats(table.column(SEND_TO_VISIBLE, 'measured')),
    warmUp: stats(table.column(COMMIT_TO_VISIBLE, 'warm-up')),
    windows: windows(table.column(COMMITTED_AT, 'all'), table.column(COMMIT_TO_VISIBLE, 'all'), 5_000),
    problems,
  };
}

function stats(values: Float64Array | number[]): LatencyStats {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const value of values) sum += value;
  return {
    count: values.length,
    mean: values.length === 0 ? NaN : sum / values.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    p999: quantile(sorted, 0.999),
    max: sorted.length === 0 ? NaN : sorted[sorted.length - 1]!,
  };
}

function windows(times: Float64Array, latencies: Float64Array, sizeMs: number): ReaderResult['windows'] {
  if (times.length === 0) return [];
  const origin = Math.min(...times.subarray(0, 1000));
  const buckets = new Map<number, number[]>();
  times.forEach((time, i) => {
    const bucket = Math.max(0, Math.floor((time - origin) / sizeMs));
    let list = buckets.get(bucket);
    if (list === undefined) buckets.set(bucket, (list = []));
    list.push(latencies[i]!);
  });
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([bucket, list]) => {
      const s = stats(list);
      return { fromS: (bucket * sizeMs) / 1000, count: s.count, p50: s.p50, p99: s.p99, max: s.max };
    });
}

/** Columns of RowTable's arrivals. */
const COMMITTED_AT = 0;
const COMMIT_TO_VISIBLE = 1;
const SEND_TO_VISIBLE = 2;
const ROW = 3;
const COLUMNS = 4;

/**
 * What the reader saw per row of the load (row = id − firstRowId): the change's position, to tell a
 * duplicate (the same change again) from a row arriving under another change, and its times in
 * arrival order. Sized up front; grows by doubling only when the load writes more than announced.
 */
class RowTable {
  private positions: Float64Array; // per row: commit_lsn, or 0 while unseen (an LSN is never 0)
  private indexes: Int32Array; // per row: commit_idx
  private times: Float64Array; // per arrival: COLUMNS values
  count = 0;

  constructor(
    rows: number,
    private readonly warmUpRows: number,
  ) {
    const size = Math.max(1024, Math.ceil(rows * 1.1));
    this.positions = new Float64Array(size);
    this.indexes = new Int32Array(size);
    this.times = new Float64Array(size * COLUMNS);
  }

  has(row: number): boolean {
    return row < this.positions.length && this.positions[row] !== 0;
  }

  /** Whether the row was seen: not at all, with this very change, or with another one. */
  seenAt(row: number, lsn: number, idx: number): 'no' | 'same' | 'other' {
    if (!this.has(row)) return 'no';
    return this.positions[row] === lsn && this.indexes[row] === idx ? 'same' : 'other';
  }

  add(row: number, lsn: number, idx: number, committedAt: number, receivedAt: number, sentAt: number): void {
    while (row >= this.positions.length) {
      this.positions = grown(this.positions, this.positions.length * 2);
      this.indexes = grown(this.indexes, this.indexes.length * 2);
    }
    if (this.count * COLUMNS >= this.times.length) this.times = grown(this.times, this.times.length * 2);
    this.positions[row] = lsn;
    this.indexes[row] = idx;
    const at = this.count++ * COLUMNS;
    this.times[at + COMMITTED_AT] = committedAt;
    this.times[at + COMMIT_TO_VISIBLE] = receivedAt - committedAt;
    this.times[at + SEND_TO_VISIBLE] = receivedAt - sentAt;
    this.times[at + ROW] = row;
  }

  /** One column of the arrivals of the warm-up's rows, of the rows after it, or of all. */
  column(column: number, rows: 'warm-up' | 'measured' | 'all'): Float64Array {
    const values: number[] = [];
    for (let at = 0; at < this.count * COLUMNS; at += COLUMNS) {
      const warmUp = this.times[at + ROW]! < this.warmUpRows;
      if (rows === 'all' || (rows === 'warm-up') === warmUp) values.push(this.times[at + column]!);
    }
    return Float64Array.from(values);
  }
}

function grown<T extends Float64Array | Int32Array>(array: T, length: number): T {
  const bigger = new (array.constructor as new (length: number) => T)(length);
  bigger.set(array);
  return bigger;
}

// The IPC channel keeps the agent alive until the parent's start message arrives; if the parent dies, go too.
process.on('disconnect', () => process.exit(0));
