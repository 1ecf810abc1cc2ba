import { waitFor } from '#testing/databases.js';
import { pushTestMessage } from '#testing/pipeline-messages.js';
import type { DeliveryOutcome } from '#sinks/redis/redis-connection.js';
import type { Message } from '../messages/message.js';
import { FlushTracker } from './flush-tracker.js';
import {
  type OrderingMode,
  type ParkedRecord,
  type ParkingHooks,
  type PipelineHooks,
  type PipelineMessage,
  SinkPipeline,
} from './sink-pipeline.js';

interface Payload {
  key: string;
  value: number;
}

/** A fake destination: records what it received and fails what `failing` says. */
/** An in-memory parking store, like parked_messages: one row per key, in commit order per group. */
function parkingStore(
  initial: ParkedRecord[] = [],
  groupOf: (r: ParkedRecord) => string = (r) => String(r.message.record.key),
) {
  const rows: Array<ParkedRecord & { groupId: string }> = initial.map((r) => ({ ...r, groupId: groupOf(r) }));
  const dead = new Set<string>();
  const hooks: ParkingHooks<Payload> = {
    groups: async () => [...new Set(rows.map((r) => r.groupId))],
    async store(messages) {
      await new Promise((r) => setImmediate(r));
      for (const m of messages) {
        if (rows.some((r) => r.idempotencyKey === m.idempotencyKey)) continue;
        rows.push({ ...m, groupId: m.groupId! });
      }
      rows.sort((a, b) => Number(a.commitLsn - b.commitLsn));
    },
    head: async (groupId) => rows.find((r) => r.groupId === groupId && !dead.has(r.idempotencyKey)) ?? null,
    async remove(key) {
      const index = rows.findIndex((r) => r.idempotencyKey === key);
      if (index >= 0) rows.splice(index, 1);
    },
    payloadOf: (message) => message.record as unknown as Payload,
  };
  /** Like the ledger's dead-letter record: the row stays, as dead. */
  const markDead = (key: string) => dead.add(key);
  return { rows, hooks, markDead, live: () => rows.filter((r) => !dead.has(r.idempotencyKey)) };
}

function harness(
  mode: OrderingMode,
  options: {
    batchSize?: number;
    batchesPerCall?: number;
    /** With it, a payload's size is its value. */
    maxBytesPerCall?: number;
    maxAckPending?: number;
    maxRetryCount?: number | null;
    parking?: ParkingHooks<Payload>;
    parkAfterMs?: number;
    /** Failures are the destination refusing the command (true) or a connection failure (false). */
    refused?: boolean;
    onDead?: (key: string) => void;
    onError?: (error: unknown) => void;
  } = {},
) {
  const received: Payload[] = [];
  const dead: string[] = [];
  const failures: string[] = [];
  let failing: (p: Payload) => boolean = () => false;
  /** Whether the next call rejects (a bug in a delivery, not an outcome). */
  let rejecting: () => boolean = () => false;
  /** Every call: when it was made, what it carried and the batch_size it was given. */
  const calls: Array<{ at: number; values: number[]; batchSize: number }> = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const tracker = new FlushTracker(0n);
  const hooks: PipelineHooks<Payload> = {
    async deliver(payloads, batchSize): Promise<DeliveryOutcome[]> {
      if (rejecting()) throw new Error('a bug in the delivery');
      calls.push({ at: Date.now(), values: payloads.map((p) => p.value), batchSize });
      maxConcurrent = Math.max(maxConcurrent, ++concurrent);
      await new Promise((r) => setTimeout(r, 2));
      concurrent--;
      // Like Redis: a total-order batch is one MULTI/EXEC, so nothing after a refused entry gets in.
      let refused = false;
      return payloads.map((p) => {
        if (failing(p) || (mode === 'total' && refused)) {
          refused = true;
          return { ok: false, error: `refused ${p.key}`, refused: options.refused ?? true };
        }
        received.push(p);
        return { ok: true };
      });
    },
    delivered: () => undefined,
    failed: async (m) => void failures.push(m.idempotencyKey),
    deadLettered: async (m) => {
      dead.push(m.idempotencyKey);
      options.onDead?.(m.idempotencyKey);
    },
    retryDelayMs: () => 30,
    onError:
      options.onError ??
      ((e) => {
        throw e;
      }),
    parking: options.parking,
    payloadBytes: options.maxBytesPerCall === undefined ? undefined : (p) => p.value,
  };
  const pipeline = new SinkPipeline<Payload>(
    mode,
    {
      batchSize: options.batchSize ?? 10,
      batchesPerCall: options.batchesPerCall,
      maxBytesPerCall: options.maxBytesPerCall,
      maxAckPending: options.maxAckPending ?? 1000,
      maxRetryCount: options.maxRetryCount ?? null,
      paused: false,
      parkAfterMs: options.parkAfterMs,
    },
    tracker,
    hooks,
  );
  let seq = 0;
  const push = (key: string, value: number, group: string | null = key): PipelineMessage<Payload> =>
    pushTestMessage(pipeline, tracker, ++seq, { key, value }, group, {
      record: { key, value },
      changes: null,
      action: 'insert',
      metadata: {} as Message['metadata'],
    });
  return {
    pipeline,
    tracker,
    received,
    /** Messages per call, in call order. */
    get batches(): number[] {
      return calls.map((c) => c.values.length);
    },
    get batchSizes(): number[] {
      return calls.map((c) => c.batchSize);
    },
    dead,
    failures,
    push,
    setFailing: (f: (p: Payload) => boolean) => (failing = f),
    setRejecting: (f: () => boolean) => (rejecting = f),
    calls,
    maxConcurrent: () => maxConcurrent,
  };
}

describe('SinkPipeline', () => {
  it('delivers everything in batches and moves the flush LSN to the end', async () => {
    const h = harness('total', { batchSize: 4 });
    for (let i = 0; i < 10; i++) h.push('a', i, null);
    await waitFor(async () => h.received.length === 10);
    expect(h.received.map((p) => p.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Math.max(...h.batches)).toBeLessThanOrEqual(4);
    await waitFor(async () => h.tracker.flushLsn === 101n);
    expect(h.pipeline.outstanding).toBe(0);
  });

  it('a call carries several batches of batch_size when the delivery takes them, in order', async () => {
    const h = harness('total', { batchSize: 5, batchesPerCall: 4 });
    for (let i = 0; i < 100; i++) h.push('a', i, null);
    await waitFor(async () => h.received.length === 100);
    expect(h.received.map((p) => p.value)).toEqual([...Array(100).keys()]);
    expect(Math.max(...h.batches)).toBe(20);
    expect(new Set(h.batchSizes)).toEqual(new Set([5]));
  });

  it('a call stops at its byte limit, and a message larger than the limit goes alone', async () => {
    const total = harness('total', { batchSize: 5, batchesPerCall: 4, maxBytesPerCall: 100 });
    const sizes = [30, 30, 30, 30, 250, 10, 10, 95, 10];
    sizes.forEach((size) => total.push('a', size, null));
    await waitFor(async () => total.received.length === sizes.length);
    expect(total.received.map((p) => p.value)).toEqual(sizes);
    expect(total.batches).toEqual([3, 1, 1, 2, 1, 1]);

    const grouped = harness('per-group', { batchSize: 5, batchesPerCall: 4, maxBytesPerCall: 100 });
    sizes.forEach((size, i) => grouped.push(`k${i}`, size));
    await waitFor(async () => grouped.received.length === sizes.length);
    expect([...grouped.received.map((p) => p.value)].sort((a, b) => a - b)).toEqual([...sizes].sort((a, b) => a - b));
    expect(Math.max(...grouped.batches)).toBeLessThanOrEqual(3);
  });

  it('sends one batch at a time in total order, several at once per group, each group still in order', async () => {
    const total = harness('total', { batchSize: 5 });
    for (let i = 0; i < 60; i++) total.push(`k${i % 7}`, i);
    await waitFor(async () => total.received.length === 60);
    expect(total.maxConcurrent()).toBe(1);
    expect(total.received.map((p) => p.value)).toEqual([...Array(60).keys()]);

    const grouped = harness('per-group', { batchSize: 5 });
    for (let i = 0; i < 300; i++) grouped.push(`k${i % 40}`, i);
    await waitFor(async () => grouped.received.length === 300);
    expect(grouped.maxConcurrent()).toBeGreaterThan(1);
    for (let g = 0; g < 40; g++) {
      const values = grouped.received.filter((p) => p.key === `k${g}`).map((p) => p.value);
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
  });

  it('total order: a failing message blocks everything after it until it succeeds', async () => {
    const h = harness('total');
    let attempts = 0;
    h.setFailing((p) => p.value === 1 && ++attempts < 3);
    for (let i = 0; i < 5; i++) h.push(`k${i}`, i);
    await waitFor(async () => h.received.length === 5);
    expect(h.received.map((p) => p.value)).toEqual([0, 1, 2, 3, 4]);
    expect(h.failures.slice(0, 4)).toEqual(['k2', 'k3', 'k4', 'k5']);
  });

  it('total order with a backlog: a failed call is retried after its delay, and nothing overtakes it', async () => {
    const h = harness('total', { batchSize: 5 });
    let attempts = 0;
    h.setFailing((p) => p.value === 7 && ++attempts < 3);
    for (let i = 0; i < 60; i++) h.push(`k${i}`, i); // always a whole call waiting: the next call goes at once
    await waitFor(async () => h.received.length === 60);
    expect(h.received.map((p) => p.value)).toEqual([...Array(60).keys()]);
    expect(h.maxConcurrent()).toBe(1);
    const withSeven = h.calls.filter((c) => c.values.includes(7));
    expect(withSeven).toHaveLength(3);
    for (let i = 1; i < withSeven.length; i++) {
      expect(withSeven[i]!.values[0]).toBe(7); // the retry starts at the refused message
      expect(withSeven[i]!.at - withSeven[i - 1]!.at).toBeGreaterThanOrEqual(25); // retryDelayMs is 30
    }
  });

  it('a delivery call that rejects is tried again a turn of the event loop later, not in a microtask loop', async () => {
    const errors: unknown[] = [];
    const h = harness('total', { batchSize: 5, onError: (e) => void errors.push(e) });
    let rejections = 0;
    h.setRejecting(() => ++rejections < 1000);
    for (let i = 0; i < 20; i++) h.push(`k${i}`, i);
    await new Promise((resolve) => setImmediate(resolve));
    expect(rejections).toBeLessThan(10);
    h.setRejecting(() => false);
    await waitFor(async () => h.received.length === 20);
    expect(h.received.map((p) => p.value)).toEqual([...Array(20).keys()]);
    expect(errors.length).toBeGreaterThan(0);
  });

  it('per-group: a failing group blocks only itself and keeps its own order', async () => {
    const h = harness('per-group');
    let blocked = true;
    h.setFailing((p) => p.key === 'poison' && blocked);
    h.push('poison', 1);
    h.push('poison', 2);
    for (let i = 0; i < 20; i++) h.push(`row${i % 5}`, i);
    await waitFor(async () => h.received.length === 20);
    expect(h.received.every((p) => p.key !== 'poison')).toBe(true);
    for (let r = 0; r < 5; r++) {
      const values = h.received.filter((p) => p.key === `row${r}`).map((p) => p.value);
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
    expect(h.tracker.flushLsn).toBe(0n); // the poisoned message holds the slot back
    blocked = false;
    await waitFor(async () => h.received.length === 22);
    expect(h.received.filter((p) => p.key === 'poison').map((p) => p.value)).toEqual([1, 2]);
    await waitFor(async () => h.tracker.flushLsn === 221n);
  });

  it('dead-letters after max_retry_count and lets the group continue', async () => {
    const h = harness('per-group', { maxRetryCount: 3 });
    h.setFailing((p) => p.value === 1);
    h.push('a', 1);
    h.push('a', 2);
    await waitFor(async () => h.received.length === 1);
    expect(h.dead).toEqual(['k1']);
    expect(h.received).toEqual([{ key: 'a', value: 2 }]);
    expect(h.failures).toHaveLength(2);
    await waitFor(async () => h.tracker.flushLsn === 21n);
  });

  it('holds at most max_ack_pending messages and wakes the reader when below it', async () => {
    const h = harness('total', { maxAckPending: 3 });
    h.setFailing(() => true);
    for (let i = 0; i < 3; i++) h.push('a', i);
    expect(h.pipeline.isFull).toBe(true);
    let woke = false;
    void h.pipeline.whenNotFull().then(() => (woke = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(woke).toBe(false);
    h.setFailing(() => false);
    await waitFor(async () => woke);
  });

  it('buffers while paused and delivers in order on resume', async () => {
    const h = harness('total');
    h.pipeline.update({ batchSize: 10, maxAckPending: 1000, maxRetryCount: null, paused: true });
    for (let i = 0; i < 5; i++) h.push('a', i);
    await new Promise((r) => setTimeout(r, 30));
    expect(h.received).toHaveLength(0);
    h.pipeline.update({ batchSize: 10, maxAckPending: 1000, maxRetryCount: null, paused: false });
    await waitFor(async () => h.received.length === 5);
    expect(h.received.map((p) => p.value)).toEqual([0, 1, 2, 3, 4]);
  });

  it('redelivers a failing message at once on request, and discards on request', async () => {
    const h = harness('per-group');
    h.pipeline['hooks'].retryDelayMs = () => 60_000;
    h.setFailing((p) => p.key === 'x');
    h.push('x', 1);
    h.push('y', 2);
    await waitFor(async () => h.failures.length === 1 && h.received.length === 1);
    h.setFailing(() => false);
    h.pipeline.retryNow(new Set(['k1']));
    await waitFor(async () => h.received.length === 2);

    h.setFailing((p) => p.key === 'z');
    h.push('z', 3);
    await waitFor(async () => h.failures.length === 2);
    expect(h.pipeline.discard(new Set(['k3']))).toHaveLength(1);
    expect(h.pipeline.outstanding).toBe(0);
    await waitFor(async () => h.tracker.flushLsn === 31n);
  });

  it('a discard of a message in flight applies when its attempt fails: no retry, settled', async () => {
    const h = harness('per-group');
    h.setFailing((p) => {
      if (p.key !== 'z') return false;
      h.pipeline.discard(new Set(['k1'])); // while its batch is in flight
      return true;
    });
    h.push('z', 1);
    h.push('y', 2);
    await waitFor(async () => h.pipeline.outstanding === 0);
    expect(h.failures).toEqual([]);
    expect(h.received).toEqual([{ key: 'y', value: 2 }]);
    await waitFor(async () => h.tracker.flushLsn === 21n);
  });

  describe('parking a poisoned group (per-group)', () => {
    it('parks it once its head has failed long enough, so other groups never hit the bound; delivers it in order once it can', async () => {
      const store = parkingStore();
      const h = harness('per-group', { maxAckPending: 10, parking: store.hooks, parkAfterMs: 60 });
      let poisoned = true;
      h.setFailing((p) => p.key === 'p' && poisoned);
      h.push('p', 0);
      h.push('ok', 0);
      await waitFor(async () => store.rows.length === 1, { message: 'the poisoned head to be parked' });
      for (let i = 1; i <= 40; i++) {
        h.push('p', i);
        h.push(`ok${i % 3}`, i);
        await waitFor(async () => !h.pipeline.isFull);
      }
      await waitFor(async () => h.received.filter((p) => p.key !== 'p').length === 41);
      await waitFor(async () => store.rows.length === 41 && h.pipeline.outstanding === 0);
      expect(h.tracker.flushLsn).toBe(821n); // parked messages are settled: the slot moves on

      poisoned = false;
      await waitFor(async () => store.rows.length === 0, { message: 'the parked group to drain' });
      expect(h.received.filter((p) => p.key === 'p').map((p) => p.value)).toEqual([...Array(41).keys()]);
      h.push('p', 41); // unparked: back to the in-memory path
      await waitFor(async () => h.received.filter((p) => p.key === 'p').length === 42);
      expect(store.rows).toHaveLength(0);
    });

    it('parks a failing head only once it has failed for parkAfterMs, not at its first failures', async () => {
      const store = parkingStore();
      const parkAfterMs = 1_000;
      const h = harness('per-group', { maxAckPending: 10, parking: store.hooks, parkAfterMs });
      h.setFailing((p) => p.key === 'p');
      const started = Date.now();
      h.push('p', 0);
      await waitFor(async () => h.failures.length >= 3, { message: 'retries of the head' });
      expect(Date.now() - started).toBeLessThan(parkAfterMs); // retried every 30 ms, well inside the grace period
      expect(store.rows).toHaveLength(0);
      await waitFor(async () => store.rows.length === 1, { message: 'the head to be parked after the grace period' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(parkAfterMs);
    });

    it('parks nothing while the destination is down (connection failures): the bound holds', async () => {
      const store = parkingStore();
      const h = harness('per-group', { maxAckPending: 5, parking: store.hooks, parkAfterMs: 20, refused: false });
      h.setFailing(() => true);
      for (let i = 0; i < 5; i++) h.push(`g${i}`, i);
      await waitFor(async () => h.failures.length >= 15); // several rounds of retries, well past parkAfterMs
      expect(store.rows).toHaveLength(0);
      expect(h.pipeline.isFull).toBe(true);
    });

    it('restores groups an earlier session parked before sending anything, and keeps their order', async () => {
      const old = (value: number): ParkedRecord => ({
        message: { record: { key: 'p', value }, changes: null, action: 'insert', metadata: {} as Message['metadata'] },
        idempotencyKey: `old${value}`,
        commitLsn: BigInt(value),
        deliverCount: 1,
        lastError: 'WRONGTYPE',
        notVisibleUntil: 0,
      });
      const store = parkingStore([old(1), old(2)]);
      const h = harness('per-group', { parking: store.hooks });
      h.push('p', 100);
      h.push('q', 101);
      await waitFor(async () => h.received.length === 4);
      expect(h.received.filter((p) => p.key === 'p').map((p) => p.value)).toEqual([1, 2, 100]);
      await waitFor(async () => store.rows.length === 0 && h.pipeline.outstanding === 0);
    });

    /** Group p: its head (k1, p0) refused and parked, p1 parked behind it; retried every 20 ms. */
    async function parkedGroupP(options: { otherGroup: boolean }) {
      const store = parkingStore();
      const h = harness('per-group', { parking: store.hooks, parkAfterMs: 0 });
      h.pipeline['hooks'].retryDelayMs = () => 20;
      h.setFailing((p) => p.key === 'p' && p.value === 0);
      h.push('p', 0);
      if (options.otherGroup) h.push('ok', 0);
      await waitFor(async () => store.rows.length === 1);
      h.push('p', 1);
      await waitFor(async () => store.rows.length === 2);
      return { store, h };
    }

    /**
     * Once the discarded head has left the store, the destination accepts everything: p goes on from
     * p1. (An attempt already in flight at the discard still reaches the destination; until then it is
     * refused.)
     */
    async function expectGroupGoesOnFromNext({ store, h }: Awaited<ReturnType<typeof parkedGroupP>>) {
      await waitFor(async () => !store.rows.some((r) => r.idempotencyKey === 'k1'));
      h.setFailing(() => false);
      await waitFor(async () => h.received.some((p) => p.key === 'p'));
      expect(h.received.filter((p) => p.key === 'p').map((p) => p.value)).toEqual([1]);
      await waitFor(async () => store.rows.length === 0);
    }

    it('discards a parked head, even one in flight: it is never delivered, and the group goes on from the next', async () => {
      const parked = await parkedGroupP({ otherGroup: true });
      // Whether the head is in flight at this moment or not, it never goes out once discarded.
      parked.h.pipeline.discard(new Set(['k1']));
      await expectGroupGoesOnFromNext(parked);
    });

    it('discards a parked head while its attempt is in flight: the refused attempt is its last', async () => {
      const parked = await parkedGroupP({ otherGroup: false });
      // The discard comes the moment the head's next attempt is handed to the destination.
      const hooks = parked.h.pipeline['hooks'];
      const deliver = hooks.deliver.bind(hooks);
      let droppedAtOnce: unknown[] | null = null;
      hooks.deliver = (payloads, batchSize) => {
        const outcomes = deliver(payloads, batchSize);
        if (droppedAtOnce === null && payloads.some((p) => p.key === 'p' && p.value === 0)) {
          droppedAtOnce = parked.h.pipeline.discard(new Set(['k1']));
        }
        return outcomes;
      };
      await waitFor(async () => droppedAtOnce !== null);
      expect(droppedAtOnce).toEqual([]); // in flight: dropped when its attempt comes back
      await expectGroupGoesOnFromNext(parked);
    });

    it('abandoning the sink settles what a failed store gave back', async () => {
      const store = parkingStore();
      const storeOnce = store.hooks.store;
      let failStores = false;
      store.hooks.store = async (messages) => {
        if (failStores) {
          await new Promise((r) => setTimeout(r, 20));
          throw new Error('sink deleted');
        }
        return storeOnce(messages);
      };
      const h = harness('per-group', { parking: store.hooks, parkAfterMs: 0 });
      h.pipeline['hooks'].onError = () => undefined;
      h.setFailing((p) => p.key === 'p');
      h.push('p', 0);
      h.push('ok', 0);
      await waitFor(async () => store.rows.length === 1);
      failStores = true;
      h.push('p', 1); // its store fails after the sink is abandoned
      await h.pipeline.abandon();
      expect(h.pipeline.outstanding).toBe(0);
      await waitFor(async () => h.tracker.flushLsn === 31n);
    });

    it('dead-letters a parked head after max_retry_count and goes on with the group', async () => {
      const store = parkingStore();
      const h = harness('per-group', {
        parking: store.hooks,
        parkAfterMs: 0,
        maxRetryCount: 3,
        onDead: store.markDead,
      });
      h.setFailing((p) => p.key === 'p' && p.value === 0);
      h.push('p', 0);
      h.push('ok', 0);
      await waitFor(async () => store.rows.length === 1);
      h.push('p', 1);
      await waitFor(async () => h.received.some((p) => p.key === 'p'));
      expect(h.dead).toEqual(['k1']);
      expect(h.received.filter((p) => p.key === 'p').map((p) => p.value)).toEqual([1]);
      await waitFor(async () => store.live().length === 0);
      expect(store.rows.map((r) => r.idempotencyKey)).toEqual(['k1']); // the dead record stays
    });
  });
});
