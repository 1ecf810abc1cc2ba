import { buildChangeBody } from '#replication/messages/change-body.js';
import { buildMessage, changePosition } from '#replication/messages/envelope.js';
import { messageJson } from '#replication/messages/message-json.js';
import { CONTEXT, ORDERS } from '#replication/messages/test-fixtures.js';
import { FlushTracker } from '#replication/pipeline/flush-tracker.js';
import { SinkPipeline } from '#replication/pipeline/sink-pipeline.js';
import type { LoadedSink } from '#replication/reader/loaded-sink.js';
import { pipelineSettingsOf } from '#replication/reader/sink-runtime.js';
import type { StoredStreamMessage, StreamStore } from '#stream/stream-store.js';
import { sliceBytes, sliceText, utf8Slice } from '#stream/utf8-slices.js';
import { waitFor } from '#testing/databases.js';
import { pushTestMessage } from '#testing/pipeline-messages.js';
import { SequinStreamDelivery } from './sequin-stream-delivery.js';

const MB = 1024 * 1024;
const sink = { batchSize: 10, maxAckPending: 100, maxRetryCount: null, status: 'active' } as unknown as LoadedSink;

/** The delivery behind a pipeline configured as the reader configures it, over a store that records its calls. */
function storing() {
  const calls: StoredStreamMessage[][] = [];
  const store = {
    async store(_account: string, _sink: string, messages: StoredStreamMessage[]) {
      calls.push(messages);
      return messages.length;
    },
  } as unknown as StreamStore;
  const delivery = new SequinStreamDelivery('account', 'sink', store, async () => {});
  const tracker = new FlushTracker(0n);
  const pipeline = new SinkPipeline<StoredStreamMessage>(
    delivery.ordering,
    pipelineSettingsOf(sink, delivery),
    tracker,
    {
      deliver: (payloads) => delivery.deliver(payloads),
      delivered: () => {},
      failed: async () => {},
      deadLettered: async () => {},
      retryDelayMs: () => 1000,
      onError: (error) => {
        throw error;
      },
      payloadBytes: delivery.payloadBytes.bind(delivery),
    },
  );
  let seq = 0;
  const push = (data: string): void => {
    seq++;
    const payload = {
      idempotencyKey: `k${seq}`, // the key pushTestMessage gives it
      groupId: `public.t:${seq}`,
      commitLsn: BigInt(seq * 10),
      commitIdx: 0,
      json: utf8Slice(data),
    };
    pushTestMessage(pipeline, tracker, seq, payload, payload.groupId);
  };
  const stored = () => calls.flat().map((m) => m.idempotencyKey);
  return { calls, push, stored, pipeline };
}

describe('SequinStreamDelivery', () => {
  it("makes each message's payload its JSON as UTF-8 bytes, with its key, group and position", () => {
    const delivery = new SequinStreamDelivery('account', 'sink', {} as StreamStore, async () => {});
    const transaction = {
      commitLsn: 100n,
      commitTimestamp: '2026-11-23T10:00:00.000000Z',
      transactionAnnotations: null,
    };
    const payloads = ['naïve €', 'plain', '𝄞 clef'].map((note, i) => {
      const row = { id: String(i + 1), tenant: 'acme', total: '1', note, tags: '{}', data: '{}' };
      const message = buildMessage(
        buildChangeBody(ORDERS, { action: 'insert', new: row }),
        changePosition(transaction, i),
        CONTEXT,
      );
      return { message, payload: delivery.toPayload(message, `public.orders:${i + 1}`) };
    });
    for (const [i, { message, payload }] of payloads.entries()) {
      expect(sliceText(payload.json)).toBe(messageJson(message));
      expect(delivery.payloadBytes(payload)).toBe(Buffer.byteLength(messageJson(message)));
      expect(payload).toMatchObject({
        idempotencyKey: message.metadata.idempotency_key,
        groupId: `public.orders:${i + 1}`,
        commitLsn: 100n,
        commitIdx: i,
      });
    }
  });

  it('stores up to 2,000 messages in one call, in order', async () => {
    const { calls, push, stored, pipeline } = storing();
    for (let i = 0; i < 4500; i++) push('{"small":true}');
    await waitFor(async () => stored().length === 4500);
    expect(calls.map((c) => c.length)).toEqual([2000, 2000, 500]);
    expect(stored()).toEqual(Array.from({ length: 4500 }, (_, i) => `k${i + 1}`));
    await pipeline.close();
  });

  it('keeps a call of large rows under 16 MB, where 2,000 of them would pass the 1 GB a parameter can hold', async () => {
    const { calls, push, stored, pipeline } = storing();
    const row = 'x'.repeat(3 * MB);
    for (let i = 0; i < 12; i++) push(row);
    push('y'.repeat(20 * MB)); // larger than the cap alone: still stored, in a call of its own
    await waitFor(async () => stored().length === 13);
    expect(calls.map((c) => c.length)).toEqual([5, 5, 2, 1]);
    for (const call of calls.slice(0, 3))
      expect(call.reduce((n, m) => n + sliceBytes(m.json), 0)).toBeLessThanOrEqual(16 * MB);
    expect(stored()).toEqual(Array.from({ length: 13 }, (_, i) => `k${i + 1}`));
    await pipeline.close();
  });
});
