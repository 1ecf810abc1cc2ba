type Labels = Record<string, string>;
/** A line's own labels: `le` of a bucket, a number as prom-client gives it (the text format prints both alike). */
type LineLabels = Record<string, string | number>;

/** One label set of a CountedHistogram: observations per bucket (not cumulative), their sum and count. */
export class HistogramSeries {
  /** Index i counts values ≤ upperBounds[i] and above the bound before; the last index counts the rest. */
  readonly bucketCounts: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly upperBounds: readonly number[],
  ) {
    this.bucketCounts = new Array<number>(upperBounds.length + 1).fill(0);
  }

  /** `count` observations of `value` (their sum is `value * count`, which may differ in its last digits from `count` additions). */
  observe(value: number, count = 1): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    if (!Number.isInteger(count) || count < 1) throw new TypeError(`Count is not a positive integer: ${count}`);
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.bucketCounts[i]! += count;
    this.sum += value * count;
    this.count += count;
  }

  reset(): void {
    this.bucketCounts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

interface ExportedValue {
  value: number;
  metricName: string;
  labels: LineLabels;
  sharedLabels?: Labels;
}

interface ExportedMetric {
  name: string;
  help: string;
  type: 'histogram';
  values: ExportedValue[];
  aggregator: 'sum';
}

/**
 * A histogram in prom-client's export format whose observations may carry a count: a delivered
 * batch's messages share their delivery time and, per transaction, their commit time, so their
 * latency is one value for many messages, and prom-client's Histogram takes one value per call
 * (prometheus/client_js#514, closed without it). The call per message and sink showed in the worker's
 * profiles (bench/HISTORY.md, round of 377aad5). A prom-client Registry takes it like any metric: it
 * reads `get()` / `getForPromString()` and calls `reset()`. Unlike prom-client's: a reset zeroes a
 * series instead of dropping it (the worker keeps its series), bucket lines carry no exemplar field
 * (prom-client's is null without exemplars), and every label must be given, unknown ones are ignored.
 */
export class CountedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly upperBounds: readonly number[];
  private readonly series = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    buckets: readonly number[],
  ) {
    if (labelNames.includes('le')) throw new Error('le is a reserved label keyword');
    this.upperBounds = [...buckets].sort((a, b) => a - b);
  }

  /** The series of `labels` (every label name given), created on first use; keep it to observe into. */
  labels(labels: Labels): HistogramSeries {
    const key = this.labelNames.map((name) => {
      const value = labels[name];
      if (value === undefined) throw new Error(`Label ${name} of ${this.name} is missing`);
      return value;
    });
    const id = JSON.stringify(key);
    let series = this.series.get(id);
    if (!series) {
      const own: Labels = {};
      this.labelNames.forEach((name, i) => (own[name] = key[i]!));
      this.series.set(id, (series = new HistogramSeries(own, this.upperBounds)));
    }
    return series;
  }

  /** Zeroes every series (prom-client drops them; a kept series here would otherwise count for nobody). */
  reset(): void {
    for (const series of this.series.values()) series.reset();
  }

  /** What prom-client's Histogram gives the registry's text format: each series' labels shared by its lines. */
  getForPromString(): Promise<ExportedMetric> {
    const bucketName = `${this.name}_bucket`;
    const values: ExportedValue[] = [];
    for (const series of this.series.values()) {
      const shared = series.labels;
      let cumulative = 0;
      this.upperBounds.forEach((bound, i) => {
        cumulative += series.bucketCounts[i]!;
        values.push({ value: cumulative, metricName: bucketName, labels: { le: bound }, sharedLabels: shared });
      });
      values.push(
        { value: series.count, metricName: bucketName, labels: { le: '+Inf' }, sharedLabels: shared },
        { value: series.sum, metricName: `${this.name}_sum`, labels: {}, sharedLabels: shared },
        { value: series.count, metricName: `${this.name}_count`, labels: {}, sharedLabels: shared },
      );
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** The same values with every line's labels in one object (prom-client's JSON format). */
  async get(): Promise<ExportedMetric> {
    const metric = await this.getForPromString();
    metric.values = metric.values.map(({ sharedLabels, ...value }) => ({
      ...value,
      labels: { ...value.labels, ...sharedLabels },
    }));
    return metric;
  }
}
