/**
 * Every knob of `npm run bench`, read from the environment once. Defaults finish in a few minutes on
 * the 2-core machine; issue 6's full sizes are reachable with e.g. `BENCH_CHANGES=500000 BENCH_RATE=10000
 * BENCH_DURATION_S=60`.
 */
export interface BenchSettings {
  /** Changes pre-loaded into the slot for the catch-up case. */
  changes: number;
  /** Changes per source transaction while pre-loading. */
  txnSize: number;
  /** insert / update / delete shares of `changes`, in percent. */
  mix: { insert: number; update: number; delete: number };
  /** Entries written by the bare ioredis XADD limit (default: `changes`). */
  xaddEntries: number;
  /** XADDs per pipeline of the bare ioredis limit. */
  xaddPipeline: number;
  /** Pipelines in flight at once on its connection. */
  xaddInFlight: number;
  /** Requests of `redis-benchmark -P 64 … XADD`. */
  redisBenchmarkRequests: number;
  /** Seconds the catch-up waits for the stream to reach `changes` before giving up. */
  catchUpTimeoutS: number;
  /** Offered load of the latency and memory cases (rows — changes — per second). */
  rate: number;
  durationS: number;
  /** Seconds of the same load before `durationS` (latency case): reported apart, not in its figure. */
  latencyWarmUpS: number;
  /** Seconds of the memory case's load. */
  memoryS: number;
  /**
   * Run the latency case on its own even when the memory case runs too (by default the latency is
   * measured over the first seconds of the memory case's load, the same load, which saves a case's time).
   */
  latencyAlone: boolean;
  /** Writer connections sharing the offered load. */
  writers: number;
  /** Sequin Stream case: consumer counts to run; always 8, the target's (`BENCH_STREAM_CONSUMERS=1,8` adds 1, ≈50 s). */
  streamConsumers: number[];
  /** Rows per commit of the load (one multi-row INSERT); the rate counts rows (changes). */
  rowsPerCommit: number;
  /** Sink `batch_size`; undefined = the product's default. */
  sinkBatchSize: number | undefined;
  /** Postgres fsync / synchronous_commit on (production) or off (`fast`). */
  pgFsync: boolean;
  /** Sluice's pino level inside the bench. */
  logLevel: string;
  /** Keep the servers' temp directory (logs) after the run. */
  keep: boolean;
  /** Measure the machine's limits (off: only the product, e.g. under --cpu-prof). */
  limits: boolean;
}

function int(name: string, fallback: number, min = 1): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${text}"`);
  return value;
}

function bool(name: string, fallback: boolean): boolean {
  const text = process.env[name]?.toLowerCase();
  if (text === undefined || text === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new Error(`${name} must be on or off, got "${text}"`);
}

/** Comma-separated positive integers, `required` among them. */
function counts(name: string, required: number): number[] {
  const text = process.env[name];
  if (text === undefined || text === '') return [required];
  const values = text.split(',').map((part) => Number(part.trim()));
  if (values.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`${name} must be positive integers separated by commas, got "${text}"`);
  }
  return [...new Set([...values, required])].sort((a, b) => a - b);
}

function mix(name: string, fallback: string): BenchSettings['mix'] {
  const text = process.env[name] || fallback;
  const parts = text.split('/').map(Number);
  if (parts.length !== 3 || parts.some((p) => !Number.isInteger(p) || p < 0) || parts[0]! <= 0) {
    throw new Error(`${name} must be insert/update/delete percentages like 60/30/10, got "${text}"`);
  }
  const [insert, update, del] = parts as [number, number, number];
  if (insert + update + del !== 100) throw new Error(`${name} must add up to 100, got "${text}"`);
  if (update > insert || del > insert) throw new Error(`${name}: updates and deletes need rows inserted first`);
  return { insert, update, delete: del };
}

export function readSettings(): BenchSettings {
  const changes = int('BENCH_CHANGES', 200_000, 100);
  const batch = process.env.BENCH_BATCH_SIZE;
  return {
    changes,
    txnSize: int('BENCH_TXN_SIZE', 100),
    mix: mix('BENCH_MIX', '60/30/10'),
    xaddEntries: int('BENCH_XADD_N', changes),
    xaddPipeline: int('BENCH_XADD_PIPELINE', 500),
    xaddInFlight: int('BENCH_XADD_INFLIGHT', 2),
    redisBenchmarkRequests: int('BENCH_REDIS_BENCHMARK_N', 200_000),
    catchUpTimeoutS: int('BENCH_CATCHUP_TIMEOUT_S', 300),
    rate: int('BENCH_RATE', 2_000),
    durationS: int('BENCH_DURATION_S', 20),
    latencyWarmUpS: int('BENCH_LATENCY_WARM_UP_S', 5, 0),
    memoryS: int('BENCH_MEMORY_S', 120, 10),
    latencyAlone: bool('BENCH_LATENCY_ALONE', false),
    writers: int('BENCH_WRITERS', 4),
    streamConsumers: counts('BENCH_STREAM_CONSUMERS', 8),
    rowsPerCommit: int('BENCH_ROWS_PER_COMMIT', 1),
    sinkBatchSize: batch ? int('BENCH_BATCH_SIZE', 50) : undefined,
    pgFsync: bool('BENCH_PG_FSYNC', true),
    logLevel: process.env.BENCH_LOG_LEVEL || 'warn',
    keep: bool('BENCH_KEEP', false),
    limits: bool('BENCH_LIMITS', true),
  };
}
