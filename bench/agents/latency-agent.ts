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
  /** The first id of the measured rows (ids are a sequence: firstRowId, firstRowId + 1, …). */
  firstRowId: number;
  /** Give up this long after the last new entry once the expected count is known. */
  idleTimeoutMs: number;
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
  /** XREAD time − the change's commit_timestamp. */
  commitToVisible: LatencyStats;
  /** XREAD time − the row's sent_at (the writer's clock just before it sent the INSERT). */
  sendToVisible: LatencyStats;
  /** commit → visible per 5-second window of commit time. */
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
  let expected: number | null = null;
  process.on('message', (message: { type: string; count?: number }) => {
    if (message.type === 'expect') expected = message.count!;
  });
  process.send!({ type: 'ready' });

  const commitLatencies: number[] = [];
  const sendLatencies: number[] = [];
  const commitTimes: number[] = [];
  const seenKeys = new Set<string>();
  let seenRows = new Uint8Array(1 << 16);
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
    (commitLatencies.length + unexpected < expected && nowMs() - lastProgressAt < params.idleTimeoutMs)
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
      if (seenKeys.has(metadata.idempotency_key)) {
        duplicates++;
        continue;
      }
      seenKeys.add(metadata.idempotency_key);
      if (metadata.commit_lsn < lastLsn || (metadata.commit_lsn === lastLsn && metadata.commit_idx <= lastIdx)) {
        outOfOrder++;
        problem(`entry ${id}: (${metadata.commit_lsn}, ${metadata.commit_idx}) after (${lastLsn}, ${lastIdx})`);
      }
      lastLsn = metadata.commit_lsn;
      lastIdx = metadata.commit_idx;
      const row = Number(record.id) - params.firstRowId;
      if (!Number.isInteger(row) || row < 0) {
        unexpected++;
        problem(`entry ${id}: unexpected row id ${record.id}`);
        continue;
      }
      while (row >= seenRows.length) {
        const grown = new Uint8Array(seenRows.length * 2);
        grown.set(seenRows);
        seenRows = grown;
      }
      if (seenRows[row]) {
        unexpected++;
        problem(`entry ${id}: row ${record.id} again under another idempotency key`);
        continue;
      }
      seenRows[row] = 1;
      const committedAt = parseIsoMicros(metadata.commit_timestamp);
      commitTimes.push(committedAt);
      commitLatencies.push(receivedAt - committedAt);
      sendLatencies.push(receivedAt - parseIsoMicros(record.sent_at));
    }
  }
  redis.disconnect();
  const total = expected ?? 0;
  let missing = 0;
  for (let row = 0; row < total; row++) {
    if (row >= seenRows.length || !seenRows[row]) {
      missing++;
      problem(`row ${params.firstRowId + row} never arrived`);
    }
  }
  return {
    type: 'result',
    entries,
    unique: seenKeys.size,
    duplicates,
    missing,
    unexpected,
    outOfOrder,
    commitToVisible: stats(commitLatencies),
    sendToVisible: stats(sendLatencies),
    windows: windows(commitTimes, commitLatencies, 5_000),
    problems,
  };
}

function stats(values: number[]): LatencyStats {
  const sorted = Float64Array.from(values).sort();
  const sum = values.reduce((a, b) => a + b, 0);
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

function windows(times: number[], latencies: number[], sizeMs: number): ReaderResult['windows'] {
  if (times.length === 0) return [];
  const origin = Math.min(...times.slice(0, 1000));
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

// The IPC channel keeps the agent alive until the parent's start message arrives; if the parent dies, go too.
process.on('disconnect', () => process.exit(0));
