import { jest } from '@jest/globals';
import { HistogramSeries } from './counted-histogram.js';
import { WorkerMetrics, workerMetricsRegistry } from './worker-metrics.js';

const line = (text: string, prefix: string): number => {
  const found = text.split('\n').find((l) => l.startsWith(prefix));
  if (found === undefined) throw new Error(`no line ${prefix} in\n${text}`);
  return Number(found.slice(found.lastIndexOf(' ') + 1));
};

describe('WorkerMetrics.delivered', () => {
  it('observes every message’s latency once, runs of one commit timestamp together', async () => {
    const metrics = new WorkerMetrics();
    const now = Date.now();
    const recent = new Date(now - 1_000).toISOString(); // 1 s ago: the 2.5 s bucket, not the 0.5 s one
    const old = new Date(now - 100_000).toISOString(); // 100 s ago: the 300 s bucket, not the 60 s one
    const observe = jest.spyOn(HistogramSeries.prototype, 'observe');
    // An empty or unparseable timestamp is not observed.
    metrics.delivered('sink-w1', 'w1', ['', recent, recent, recent, old, recent, 'not a timestamp']);
    expect(observe.mock.calls.map(([, count]) => count)).toEqual([3, 1, 1]);
    observe.mockRestore();
    const text = await workerMetricsRegistry.getSingleMetricAsString('sluice_sink_delivery_latency_seconds');
    const labels = 'sink_id="sink-w1",sink_name="w1"';
    expect(line(text, `sluice_sink_delivery_latency_seconds_count{${labels}}`)).toBe(5);
    expect(line(text, `sluice_sink_delivery_latency_seconds_bucket{le="0.5",${labels}}`)).toBe(0);
    expect(line(text, `sluice_sink_delivery_latency_seconds_bucket{le="2.5",${labels}}`)).toBe(4);
    expect(line(text, `sluice_sink_delivery_latency_seconds_bucket{le="60",${labels}}`)).toBe(4);
    expect(line(text, `sluice_sink_delivery_latency_seconds_bucket{le="300",${labels}}`)).toBe(5);
    const sum = line(text, `sluice_sink_delivery_latency_seconds_sum{${labels}}`);
    expect(sum).toBeGreaterThanOrEqual(104);
    expect(sum).toBeLessThan(110);
    const delivered = await workerMetricsRegistry.getSingleMetricAsString('sluice_sink_messages_delivered_total');
    expect(line(delivered, `sluice_sink_messages_delivered_total{${labels}}`)).toBe(7);
  });
});
