import { Histogram, Registry } from 'prom-client';
import { CountedHistogram } from './counted-histogram.js';

const BUCKETS = [0.005, 0.01, 0.5, 1, 30];
const LABELS = { sink_id: 's-1', sink_name: 'a "quoted"\\name\n' };
const OTHER = { sink_id: 's-2', sink_name: 'other' };

function pair(): {
  counted: CountedHistogram;
  reference: Histogram<'sink_id' | 'sink_name'>;
  texts(): Promise<[string, string]>;
} {
  const counted = new CountedHistogram('latency_seconds', 'Latency', ['sink_id', 'sink_name'], BUCKETS);
  const reference = new Histogram({
    name: 'latency_seconds',
    help: 'Latency',
    labelNames: ['sink_id', 'sink_name'] as const,
    buckets: BUCKETS,
    registers: [],
  });
  const ours = new Registry();
  ours.registerMetric(counted as never);
  const theirs = new Registry();
  theirs.registerMetric(reference);
  return { counted, reference, texts: async () => [await ours.metrics(), await theirs.metrics()] };
}

describe('CountedHistogram', () => {
  it('exports the text prom-client’s Histogram exports for the same observations, a count standing for repeats', async () => {
    const { counted, reference, texts } = pair();
    // On a bound, between bounds, above the last one, zero; two label sets.
    const observations: Array<[typeof LABELS, number, number]> = [
      [LABELS, 0, 1],
      [LABELS, 0.005, 3],
      [LABELS, 0.2, 2],
      [LABELS, 1, 1],
      [LABELS, 45, 4],
      [OTHER, 0.75, 5],
    ];
    for (const [labels, value, count] of observations) {
      counted.labels(labels).observe(value, count);
      for (let i = 0; i < count; i++) reference.observe(labels, value);
    }
    const [ours, theirs] = await texts();
    expect(ours).toBe(theirs);
    expect(ours).toContain('latency_seconds_bucket{le="0.5",sink_id="s-1",sink_name="a \\"quoted\\"\\\\name\\n"} 6');
    expect(ours).toContain('latency_seconds_count{sink_id="s-2",sink_name="other"} 5');
  });

  it('gives prom-client’s JSON format (labels of a line in one object), without its null exemplars', async () => {
    const { counted, reference } = pair();
    counted.labels(OTHER).observe(0.007, 2);
    reference.observe(OTHER, 0.007);
    reference.observe(OTHER, 0.007);
    const withoutExemplars = (metric: { values: object[] }) =>
      metric.values.map((value) => {
        const { exemplar: _, ...rest } = value as { exemplar?: unknown };
        return rest;
      });
    expect(withoutExemplars(await counted.get())).toEqual(withoutExemplars(await reference.get()));
  });

  it('keeps one series per label set, which a reset zeroes', async () => {
    const { counted, reference, texts } = pair();
    const series = counted.labels(LABELS);
    expect(counted.labels({ ...LABELS })).toBe(series);
    series.observe(2, 3);
    counted.reset();
    series.observe(0.001);
    reference.observe(LABELS, 0.001);
    const [ours, theirs] = await texts();
    expect(ours).toBe(theirs);
  });

  it('adds value × count to the sum (count additions may differ in the last digits)', async () => {
    const { counted } = pair();
    counted.labels(LABELS).observe(0.8669603399306378, 48);
    expect(counted.labels(LABELS).sum).toBe(0.8669603399306378 * 48);
    expect(counted.labels(LABELS).count).toBe(48);
  });

  it('refuses a missing label, a reserved one, a value that is not a finite number and a count that is not a positive integer', () => {
    const { counted } = pair();
    expect(() => counted.labels({ sink_id: 'x' })).toThrow('Label sink_name of latency_seconds is missing');
    expect(() => new CountedHistogram('h', 'h', ['le'], BUCKETS)).toThrow('le is a reserved label keyword');
    const series = counted.labels(LABELS);
    expect(() => series.observe(Number.NaN)).toThrow('Value is not a valid number: NaN');
    for (const count of [0, -1, 1.5, Number.NaN]) {
      expect(() => series.observe(1, count)).toThrow(`Count is not a positive integer: ${count}`);
    }
    expect(series.count).toBe(0);
  });
});
