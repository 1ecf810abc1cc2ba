import type { SinkDelivery } from '#sinks/sink-delivery.js';
import type { LoadedSink } from './loaded-sink.js';
import { pipelineSettingsOf } from './sink-runtime.js';

const sink = { batchSize: 10, maxAckPending: 2, maxRetryCount: null, status: 'active' } as unknown as LoadedSink;
const delivery = (overrides: Partial<SinkDelivery<unknown>>) =>
  ({
    ordering: 'total',
    toPayload: () => null,
    deliver: async () => [],
    close: async () => {},
    ...overrides,
  }) as SinkDelivery<unknown>;

describe('pipelineSettingsOf', () => {
  it('bounds a push sink by its max_ack_pending and batches by its batch_size', () => {
    expect(pipelineSettingsOf(sink, delivery({}))).toMatchObject({ batchSize: 10, maxAckPending: 2, paused: false });
  });

  it('bounds a storage sink by its delivery, not by max_ack_pending (which bounds its receivers)', () => {
    const stored = pipelineSettingsOf(sink, delivery({ preferredBatchSize: 500, inFlightBound: 10_000 }));
    expect(stored).toMatchObject({ batchSize: 500, maxAckPending: 10_000 });
  });
});
