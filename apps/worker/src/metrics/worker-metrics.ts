import { Counter, Gauge, type Metric, register, type Registry } from 'prom-client';
import type { ReaderMetrics } from '#replication/reader/reader-metrics.js';
import type { SlotReaderSession } from '#replication/reader/slot-reader.js';
import { CountedHistogram, type HistogramSeries } from './counted-histogram.js';

/**
 * Worker metrics live in prom-client's process-wide registry (`register`): a process runs any number
 * of readers (and, in tests or `npm start`, possibly several worker applications and an API), and a
 * metric name may be registered only once per registry. The API's `/metrics` merges this registry
 * with its own; a worker-only process serves it on its own port (worker-metrics.server.ts).
 */
export const workerMetricsRegistry: Registry = register;

/** A running reader, as the collectors see it. */
export interface ObservedReader {
  slot: string;
  session(): SlotReaderSession | null;
}

const LAG_QUERY_TIMEOUT_MS = 2_000;

/**
 * One sink's metrics under its current labels: ingested messages accumulated between scrapes, and
 * the labelled children of the delivery metrics (cheaper than hashing the labels for every message).
 */
interface SinkCounts {
  labels: { sink_id: string; sink_name: string };
  ingested: number;
  delivered: { inc(value: number): void };
  latency: HistogramSeries;
}

function registered<T extends Metric | CountedHistogram>(metric: T): T {
  const name = (metric as unknown as { name: string }).name;
  const existing: unknown = workerMetricsRegistry.getSingleMetric(name);
  if (existing instanceof metric.constructor) return existing as T;
  if (existing) throw new Error(`Metric ${name} is already registered as another kind of metric`);
  workerMetricsRegistry.registerMetric(metric as Metric);
  return metric;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** `ReaderMetrics` over prom-client, plus gauges read from the running readers at scrape time. */
export class WorkerMetrics implements ReaderMetrics {
  private readonly readers = new Set<ObservedReader>();
  private readonly counts = new Map<string, SinkCounts>();

  readonly ingestedTotal: Counter<'sink_id' | 'sink_name'>;
  readonly deliveredTotal: Counter<'sink_id' | 'sink_name'>;
  readonly failedTotal: Counter<'sink_id' | 'sink_name'>;
  readonly deliveryLatency: CountedHistogram;
  readonly inFlight: Gauge<'sink_id' | 'sink_name'>;
  readonly replicationLag: Gauge<'slot'>;
  readonly lastChangeAge: Gauge<'slot'>;

  constructor() {
    // The collectors run with `this` bound to their metric; they read the readers and counts through these.
    const { readers, counts } = this;
    this.ingestedTotal = registered(
      new Counter({
        name: 'sluice_sink_messages_ingested_total',
        help: 'Messages routed to a sink by its replication reader',
        labelNames: ['sink_id', 'sink_name'] as const,
        registers: [],
        collect() {
          for (const entry of counts.values()) {
            if (entry.ingested === 0) continue;
            this.inc(entry.labels, entry.ingested);
            entry.ingested = 0;
          }
        },
      }),
    );
    this.deliveredTotal = registered(
      new Counter({
        name: 'sluice_sink_messages_delivered_total',
        help: 'Messages delivered to a sink’s destination',
        labelNames: ['sink_id', 'sink_name'] as const,
        registers: [],
      }),
    );
    this.failedTotal = registered(
      new Counter({
        name: 'sluice_sink_messages_failed_total',
        help: 'Failed delivery attempts of a sink’s messages (each retry counts)',
        labelNames: ['sink_id', 'sink_name'] as const,
        registers: [],
      }),
    );
    this.deliveryLatency = registered(
      new CountedHistogram(
        'sluice_sink_delivery_latency_seconds',
        'Time from the source commit to the delivery of a message, in seconds',
        ['sink_id', 'sink_name'],
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
      ),
    );
    this.inFlight = registered(
      new Gauge({
        name: 'sluice_sink_messages_in_flight',
        help: 'Messages a reader holds for a sink, not yet delivered (pending and failing)',
        labelNames: ['sink_id', 'sink_name'] as const,
        registers: [],
        collect() {
          this.reset();
          for (const reader of readers) {
            for (const sink of reader.session()?.sinkStates() ?? []) {
              this.set({ sink_id: sink.id, sink_name: sink.name }, sink.outstanding);
            }
          }
        },
      }),
    );
    this.replicationLag = registered(
      new Gauge({
        name: 'sluice_slot_replication_lag_bytes',
        help: 'WAL the slot makes the source keep: current WAL position minus the confirmed flush position',
        labelNames: ['slot'] as const,
        registers: [],
        async collect() {
          this.reset();
          await Promise.all(
            [...readers].map(async (reader) => {
              const session = reader.session();
              if (!session) return;
              const lag = await withTimeout(session.replicationLagBytes(), LAG_QUERY_TIMEOUT_MS).catch(() => null);
              if (lag !== null) this.set({ slot: reader.slot }, Number(lag));
            }),
          );
        },
      }),
    );
    this.lastChangeAge = registered(
      new Gauge({
        name: 'sluice_slot_last_change_age_seconds',
        help: 'Seconds since the slot’s reader last received a row change (absent before the first)',
        labelNames: ['slot'] as const,
        registers: [],
        collect() {
          this.reset();
          const now = Date.now();
          for (const reader of readers) {
            const at = reader.session()?.lastChangeReceivedAt ?? 0;
            if (at > 0) this.set({ slot: reader.slot }, (now - at) / 1000);
          }
        },
      }),
    );
  }

  /** Reports `reader` in the gauges until the returned function is called. */
  observe(reader: ObservedReader): () => void {
    this.readers.add(reader);
    return () => this.readers.delete(reader);
  }

  ingested(sinkId: string, sinkName: string): void {
    this.sinkCounts(sinkId, sinkName).ingested++;
  }

  /** One latency observation per run of equal commit timestamps (a transaction's messages share theirs). */
  delivered(sinkId: string, sinkName: string, commitTimestamps: readonly string[]): void {
    const sink = this.sinkCounts(sinkId, sinkName);
    sink.delivered.inc(commitTimestamps.length);
    const now = Date.now();
    for (let i = 0; i < commitTimestamps.length;) {
      const timestamp = commitTimestamps[i]!;
      let end = i + 1;
      while (end < commitTimestamps.length && commitTimestamps[end] === timestamp) end++;
      const committedAt = Date.parse(timestamp); // NaN for an empty or malformed one: not observed
      if (Number.isFinite(committedAt)) sink.latency.observe(Math.max(0, now - committedAt) / 1000, end - i);
      i = end;
    }
  }

  /** The sink's entry under its current name (a renamed sink keeps the count not yet collected). */
  private sinkCounts(sinkId: string, sinkName: string): SinkCounts {
    let entry = this.counts.get(sinkId);
    if (!entry || entry.labels.sink_name !== sinkName) {
      const labels = { sink_id: sinkId, sink_name: sinkName };
      entry = {
        labels,
        ingested: entry?.ingested ?? 0,
        delivered: this.deliveredTotal.labels(labels),
        latency: this.deliveryLatency.labels(labels),
      };
      this.counts.set(sinkId, entry);
    }
    return entry;
  }

  failed(sinkId: string, sinkName: string): void {
    this.failedTotal.inc({ sink_id: sinkId, sink_name: sinkName });
  }
}

let instance: WorkerMetrics | undefined;

/** The process's worker metrics (created on first use). */
export function workerMetrics(): WorkerMetrics {
  return (instance ??= new WorkerMetrics());
}
