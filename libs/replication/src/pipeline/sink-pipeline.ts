import type { DeliveryOutcome } from '#sinks/redis/redis-connection.js';
import type { OrderingMode } from '#sinks/sink-delivery.js';
import type { Message } from '../messages/message.js';
import { Fifo } from './fifo.js';
import type { FlushTracker, TrackedTransaction } from './flush-tracker.js';

export type { OrderingMode };

export interface PipelineMessage<P> {
  readonly seq: number;
  readonly groupId: string | null;
  readonly transaction: TrackedTransaction;
  readonly idempotencyKey: string;
  readonly commitLsn: bigint;
  readonly payload: P;
  /** The envelope the payload was made from (kept for the failing / dead-letter records). */
  readonly message: Message;
  deliverCount: number;
  lastError: string | null;
  /** Epoch ms before which the message is not retried; 0 when it is due. */
  notVisibleUntil: number;
  /** Epoch ms of its first failed attempt (unset before). */
  firstFailedAt?: number;
  /** The destination answered its last attempt with an error for it (not a connection failure). */
  refused?: boolean;
  /** Loaded back from the parked store: already settled, neither counted nor tracked. */
  parked?: boolean;
  /** Its group's key in the pipeline, computed once (set by the pipeline). */
  pipelineKey?: string;
  /** In a delivery call now (set by the pipeline). */
  sending?: boolean;
}

export interface PipelineSettings {
  batchSize: number;
  /** Batches one delivery call may carry (see SinkDelivery.maxMessagesPerCall); default 1. */
  batchesPerCall?: number;
  /** With the payloadBytes hook: bytes one delivery call may carry (it takes one message at least). */
  maxBytesPerCall?: number;
  maxAckPending: number;
  maxRetryCount: number | null;
  paused: boolean;
  /** A group whose head fails this long is parked (default PARK_AFTER_MS). */
  parkAfterMs?: number;
}

/** A parked message as the store gives it back. */
export interface ParkedRecord {
  message: Message;
  idempotencyKey: string;
  commitLsn: bigint;
  deliverCount: number;
  lastError: string | null;
  /** Epoch ms; 0 when due. */
  notVisibleUntil: number;
}

/**
 * Where a per-group sink parks a poisoned group (the metadata Postgres): its messages are stored in
 * order and settled, so the slot moves on, and the group is retried from the store, head by head.
 */
export interface ParkingHooks<P> {
  /** Groups that have parked messages, when a session starts. */
  groups(): Promise<string[]>;
  /** Stores messages behind their groups' parked ones; keys already stored are left as they are. */
  store(messages: PipelineMessage<P>[]): Promise<void>;
  /** The oldest parked message of a group that is not dead-lettered, or null. */
  head(groupId: string): Promise<ParkedRecord | null>;
  /** A parked message was delivered or discarded: it leaves the store. */
  remove(idempotencyKey: string): Promise<void>;
  payloadOf(message: Message, groupId: string): P | null;
}

/** How long a group's head fails before the group is parked. */
export const PARK_AFTER_MS = 5_000;
const PARK_STORE_BATCH = 500;
const PER_GROUP_BATCHES_IN_FLIGHT = 4;
/** A discard of a message out of reach applies when it comes back within this time. */
const DISCARD_LATER_MS = 10 * 60_000;
const PARKING_RETRY_MS = 1_000;

interface ParkedGroup<P> {
  readonly key: string;
  readonly groupId: string;
  /** Messages to store behind the parked ones, in order (outstanding until stored). */
  unstored: PipelineMessage<P>[];
  /** Messages of this group in the store write in flight. */
  storing: number;
  /** The oldest parked message, loaded for its next attempt. */
  head: PipelineMessage<P> | null;
  loading: boolean;
  /** Something was stored while the head was being loaded: load again before deciding it is empty. */
  reload: boolean;
}

/** Parked messages are already settled: they carry a transaction that is never counted. */
const SETTLED: TrackedTransaction = { commitLsn: 0n, endLsn: 0n, outstanding: 0, closed: true };

export interface PipelineHooks<P> {
  deliver(payloads: P[], batchSize: number): Promise<DeliveryOutcome[]>;
  /** After a delivery; messages that had failed before are among them (their failure record can go). */
  delivered(messages: PipelineMessage<P>[]): void;
  /** After each failed attempt, for visibility (`failing` in the messages API). Best effort. */
  failed(message: PipelineMessage<P>): Promise<void>;
  /** Must store the message durably (dead-letter list) before resolving; only then is it settled. */
  deadLettered(message: PipelineMessage<P>): Promise<void>;
  retryDelayMs(failedAttempts: number): number;
  onError(error: unknown): void;
  /** A payload's size, for PipelineSettings.maxBytesPerCall. */
  payloadBytes?(payload: P): number;
  /** Per-group sinks: where poisoned groups are parked; without it, failing groups stay in memory. */
  parking?: ParkingHooks<P>;
}

const TOTAL_ORDER_GROUP = '';

/**
 * One sink's outgoing messages on one replication reader: batching, ordering, retries with backoff,
 * dead-lettering, and the in-flight bound the reader respects before reading more.
 *
 * Per-group sinks park a poisoned group: when its head has failed for a while and the destination is
 * evidently up (it refused this message, or delivered others since), the group's messages move to the
 * parking store and later ones follow them there, so one bad key cannot fill the in-flight bound and
 * stop every other group. A parked group is retried from the store in order and returns to memory
 * once the store has nothing left of it. A destination that is down parks nothing: the bound holds.
 */
export class SinkPipeline<P> {
  private readonly groups = new Map<string, Fifo<PipelineMessage<P>>>();
  /** Groups whose head may be sent now, in arrival order. */
  private readonly ready = new Set<string>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private count = 0;
  /** Batches sent and not answered yet. */
  private inFlight = 0;
  private scheduled = false;
  private closed = false;
  private readonly batchesInFlight = new Set<Promise<void>>();
  private drainWaiters: Array<() => void> = [];
  private readonly parked = new Map<string, ParkedGroup<P>>();
  /** Keys discarded while their message was out of reach (epoch ms of the request). */
  private readonly discardLater = new Map<string, number>();
  /** False until the groups parked by an earlier session are known: nothing is sent before. */
  private restored: boolean;
  /** The parking store write in flight, if any. */
  private storeWrite: Promise<unknown> | null = null;
  private lastDeliveredAt = 0;

  constructor(
    private readonly mode: OrderingMode,
    private settings: PipelineSettings,
    private readonly tracker: FlushTracker,
    private readonly hooks: PipelineHooks<P>,
  ) {
    this.restored = !this.parking;
    if (this.parking) this.restore(this.parking);
  }

  private get parking(): ParkingHooks<P> | undefined {
    return this.mode === 'per-group' ? this.hooks.parking : undefined;
  }

  get outstanding(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.settings.maxAckPending;
  }

  /** Resolves once the pipeline is below its in-flight bound. */
  whenNotFull(): Promise<void> {
    if (!this.isFull || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  update(settings: PipelineSettings): void {
    this.settings = settings;
    this.notifyIfNotFull();
    this.schedule();
  }

  push(message: PipelineMessage<P>): void {
    const key = this.groupKey(message);
    const parked = this.parked.get(key);
    if (parked) {
      this.tracker.add(message.transaction);
      this.count++;
      parked.unstored.push(message);
      this.storeParked();
      return;
    }
    let group = this.groups.get(key);
    if (!group) {
      group = new Fifo();
      this.groups.set(key, group);
    }
    group.push(message);
    this.tracker.add(message.transaction);
    this.count++;
    if (group.length === 1 && !this.retryTimers.has(key)) this.ready.add(key);
    this.schedule();
  }

  /** Messages held in memory, waiting or failing, oldest first (for the messages API). */
  *messages(): IterableIterator<PipelineMessage<P>> {
    for (const group of this.groups.values()) yield* group;
    for (const parked of this.parked.values()) {
      if (parked.head) yield parked.head;
      yield* parked.unstored;
    }
  }

  /** Makes failing messages (all, or those with these idempotency keys) due at once. */
  retryNow(keys?: Set<string>): void {
    for (const [key, group] of this.groups) {
      const head = group.peek();
      if (!head || (keys && !keys.has(head.idempotencyKey))) continue;
      for (const message of group) if (!keys || keys.has(message.idempotencyKey)) message.notVisibleUntil = 0;
      this.clearTimer(key);
      if (!this.isSending(key)) this.ready.add(key);
    }
    for (const parked of this.parked.values()) {
      const { head } = parked;
      if (!head || (keys && !keys.has(head.idempotencyKey))) continue;
      head.notVisibleUntil = 0;
      this.afterParkedChange(parked);
    }
    this.schedule();
  }

  /** Drops messages by idempotency key as if delivered (the user chose to discard them). */
  discard(keys: Set<string>): PipelineMessage<P>[] {
    const dropped: PipelineMessage<P>[] = [];
    for (const [key, group] of this.groups) {
      const removed = group.removeWhere((m) => keys.has(m.idempotencyKey) && !m.sending);
      if (removed.length === 0) continue;
      dropped.push(...removed);
      this.afterGroupChange(key, group);
    }
    for (const parked of this.parked.values()) {
      const removed = parked.unstored.filter((m) => keys.has(m.idempotencyKey));
      parked.unstored = parked.unstored.filter((m) => !keys.has(m.idempotencyKey));
      dropped.push(...removed);
      const { head } = parked;
      if (head && keys.has(head.idempotencyKey) && !head.sending) {
        dropped.push(head);
        // Out of reach of the next batch at once; the group's next message comes once it is removed.
        parked.head = null;
        this.ready.delete(parked.key);
        this.clearTimer(parked.key);
        void this.parking!.remove(head.idempotencyKey).then(
          () => this.loadParkedHead(parked),
          (error) => {
            this.hooks.onError(error);
            this.loadParkedHead(parked);
          },
        );
      }
    }
    for (const message of dropped) if (!message.parked) this.settle(message);
    // The rest are in flight (a batch, a parking store) or parked and not loaded: dropped when they come back.
    const now = Date.now();
    for (const [key, at] of this.discardLater) if (now - at > DISCARD_LATER_MS) this.discardLater.delete(key);
    const droppedKeys = new Set(dropped.map((m) => m.idempotencyKey));
    for (const key of keys) if (!droppedKeys.has(key)) this.discardLater.set(key, now);
    this.schedule();
    return dropped;
  }

  /** Stops sending; resolves when the batch in flight (if any) has its answer. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    this.notifyIfNotFull(true);
    await Promise.all(this.batchesInFlight);
  }

  /** The sink was deleted or disabled: nothing of it needs delivering any more, so the slot may move on. */
  async abandon(): Promise<void> {
    await this.close();
    await this.storeWrite; // a failed store puts its messages back, to be settled below
    for (const group of this.groups.values()) for (const message of group) this.settle(message);
    for (const parked of this.parked.values()) for (const message of parked.unstored) this.settle(message);
    this.groups.clear();
    this.parked.clear();
    this.ready.clear();
  }

  private isSending(key: string): boolean {
    return this.groups.get(key)?.peek()?.sending === true;
  }

  private groupKey(message: PipelineMessage<P>): string {
    if (this.mode === 'total') return TOTAL_ORDER_GROUP;
    // Ungrouped messages each form their own group: no order among them, full parallelism.
    return (message.pipelineKey ??= message.groupId === null ? `\u0000${message.seq}` : `g:${message.groupId}`);
  }

  /**
   * A total-order sink has one batch in flight (a later batch must not get in ahead of a failed
   * one); a per-group sink several, since a group is in at most one of them (its head).
   */
  private get maxBatchesInFlight(): number {
    return this.mode === 'total' ? 1 : PER_GROUP_BATCHES_IN_FLIGHT;
  }

  /**
   * Sends the next call when it may go: a turn of the event loop later (setImmediate lets the reader
   * hand over everything it decoded from one network read first), or at once when `answered` (a call
   * was just answered) and a whole call's worth is waiting. Waiting for the next turn then adds
   * nothing to the call, and a sink with one call in flight writes nothing meanwhile (in the fan-out
   * bench, 20 ms between the Sequin Stream's 108 ms stores, a busy worker's turn).
   */
  private schedule(answered = false): void {
    if (this.inFlight >= this.maxBatchesInFlight) return;
    if (this.closed || this.settings.paused || this.ready.size === 0 || !this.restored) return;
    if (answered && this.fullCallWaiting()) {
      this.startBatch();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startBatch();
    });
  }

  private startBatch(): void {
    const sent = this.sendBatch().catch((error) => this.hooks.onError(error));
    this.batchesInFlight.add(sent);
    void sent.finally(() => this.batchesInFlight.delete(sent));
  }

  /** Messages one call may carry (by count; takeBatch also stops at maxBytesPerCall). */
  private get callLimit(): number {
    return this.settings.batchSize * (this.settings.batchesPerCall ?? 1);
  }

  /** Whether a whole call's worth of messages (by count) is ready. */
  private fullCallWaiting(): boolean {
    if (this.mode === 'per-group') return this.ready.size >= this.callLimit;
    return this.ready.has(TOTAL_ORDER_GROUP) && (this.groups.get(TOTAL_ORDER_GROUP)?.length ?? 0) >= this.callLimit;
  }

  private takeBatch(): PipelineMessage<P>[] {
    const batch: PipelineMessage<P>[] = [];
    const now = Date.now();
    const limit = this.callLimit;
    const { payloadBytes } = this.hooks;
    const byteLimit = payloadBytes ? (this.settings.maxBytesPerCall ?? Infinity) : Infinity;
    let bytes = 0;
    /** Whether the message still fits the call (the first one always does). */
    const fits = (message: PipelineMessage<P>): boolean => {
      if (byteLimit === Infinity) return true;
      bytes += payloadBytes!(message.payload);
      return batch.length === 0 || bytes <= byteLimit;
    };
    for (const key of this.ready) {
      if (batch.length >= limit) break;
      const parked = this.parked.get(key);
      const group = this.groups.get(key);
      if (this.mode === 'total' && group) {
        for (let i = 0; i < group.length && batch.length < limit; i++) {
          const message = group.peek(i)!;
          if (message.notVisibleUntil > now || !fits(message)) break;
          batch.push(message);
        }
      } else {
        // A group's head is due when its key is ready; a parked group's is loaded and may be waiting out a retry.
        const head = parked ? parked.head : group?.peek();
        const due = head != null && (!parked || head.notVisibleUntil <= now);
        if (due && !fits(head)) break; // stays ready for the next call
        if (due) batch.push(head);
      }
      this.ready.delete(key);
    }
    return batch;
  }

  private async sendBatch(): Promise<void> {
    if (this.inFlight >= this.maxBatchesInFlight || this.closed || this.settings.paused) return;
    const batch = this.takeBatch();
    if (batch.length === 0) return;
    this.inFlight++;
    this.schedule(); // a per-group sink may send its next batch before this one is answered
    // A flag, not a Set: no hashing per message, and no table that grows and shrinks with every batch.
    for (const message of batch) message.sending = true;
    let answered = false;
    try {
      const outcomes = await this.hooks.deliver(
        batch.map((m) => m.payload),
        this.settings.batchSize,
      );
      answered = true;
      const delivered: PipelineMessage<P>[] = [];
      const parkedSteps: Promise<void>[] = [];
      for (let i = 0; i < batch.length; i++) {
        const message = batch[i]!;
        const outcome = outcomes[i] ?? { ok: false, error: 'no outcome' };
        const discarded = this.discardLater.delete(message.idempotencyKey);
        if (outcome.ok) delivered.push(message);
        else if (discarded && message.parked) parkedSteps.push(this.nextParked(message, true));
        else if (discarded) this.remove([message]);
        else if ((await this.recordFailure(message, outcome.error, outcome.refused === true)) && message.parked) {
          parkedSteps.push(this.nextParked(message, false)); // dead-lettered (its record stays): the group goes on
        }
      }
      if (delivered.some((m) => !m.parked)) this.lastDeliveredAt = Date.now();
      this.remove(delivered.filter((m) => !m.parked));
      if (delivered.length > 0) this.hooks.delivered(delivered);
      for (const message of delivered) if (message.parked) parkedSteps.push(this.nextParked(message, true));
      await Promise.all(parkedSteps);
    } finally {
      for (const message of batch) message.sending = false;
      this.inFlight--;
      // A per-group batch holds one message per group (its head); a total-order one, one group.
      const keys = this.mode === 'total' ? [TOTAL_ORDER_GROUP] : batch.map((m) => this.groupKey(m));
      for (const key of keys) {
        const parked = this.parked.get(key);
        if (parked) this.afterParkedChange(parked);
        const group = this.groups.get(key);
        if (group && this.shouldPark(group.peek())) this.park(key, group);
        else if (group) this.afterGroupChange(key, group);
      }
      // A delivery that threw recorded no failure: its batch is due again, so it waits for a turn.
      this.schedule(answered);
    }
  }

  /** Whether a failing head's group should be parked (see the class comment). */
  private shouldPark(head: PipelineMessage<P> | undefined): boolean {
    if (!this.parking || !head || head.parked || head.groupId === null || head.firstFailedAt === undefined)
      return false;
    const parkAfter = this.settings.parkAfterMs ?? PARK_AFTER_MS;
    const destinationUp = head.refused === true || this.lastDeliveredAt > head.firstFailedAt;
    return destinationUp && Date.now() - head.firstFailedAt >= parkAfter;
  }

  private park(key: string, group: Fifo<PipelineMessage<P>>): void {
    this.groups.delete(key);
    this.ready.delete(key);
    this.clearTimer(key);
    const head = group.peek()!;
    this.parked.set(key, this.parkedGroup(key, head.groupId!, [...group]));
    this.storeParked();
  }

  private parkedGroup(key: string, groupId: string, unstored: PipelineMessage<P>[]): ParkedGroup<P> {
    return { key, groupId, unstored, storing: 0, head: null, loading: false, reload: false };
  }

  /** Learns which groups an earlier session parked; retried until it works (nothing is sent before). */
  private restore(parking: ParkingHooks<P>): void {
    parking.groups().then(
      (groupIds) => {
        for (const groupId of groupIds) {
          const key = `g:${groupId}`;
          const group = this.groups.get(key);
          this.groups.delete(key);
          this.ready.delete(key);
          this.clearTimer(key);
          this.parked.set(key, this.parkedGroup(key, groupId, group ? [...group] : []));
        }
        this.restored = true;
        this.storeParked();
        for (const parked of this.parked.values()) this.loadParkedHead(parked);
        this.schedule();
      },
      (error) => {
        this.hooks.onError(error);
        if (!this.closed) setTimeout(() => this.restore(parking), PARKING_RETRY_MS).unref();
      },
    );
  }

  /** Writes parked groups' new messages to the store, one batch at a time; they are settled once stored. */
  private storeParked(): void {
    const parking = this.parking;
    if (!parking || this.storeWrite || this.closed || !this.restored) return;
    const taken = new Map<ParkedGroup<P>, PipelineMessage<P>[]>();
    let size = 0;
    for (const parked of this.parked.values()) {
      if (size >= PARK_STORE_BATCH) break;
      if (parked.unstored.length === 0) continue;
      const messages = parked.unstored.splice(0, PARK_STORE_BATCH - size);
      parked.storing += messages.length;
      taken.set(parked, messages);
      size += messages.length;
    }
    if (size === 0) return;
    this.storeWrite = parking
      .store([...taken.values()].flat())
      .then(
        () => {
          for (const [parked, messages] of taken) {
            parked.storing -= messages.length;
            for (const message of messages) this.settle(message);
            if (parked.loading) parked.reload = true;
            else this.loadParkedHead(parked);
          }
        },
        (error) => {
          this.hooks.onError(error);
          for (const [parked, messages] of taken) {
            parked.storing -= messages.length;
            parked.unstored.unshift(...messages);
          }
          return new Promise((resolve) => setTimeout(resolve, PARKING_RETRY_MS).unref());
        },
      )
      .finally(() => {
        this.storeWrite = null;
        this.storeParked();
      });
  }

  /** Loads a parked group's oldest message for its next attempt; unparks the group when none is left. */
  private loadParkedHead(parked: ParkedGroup<P>): void {
    const parking = this.parking;
    if (!parking || parked.head || parked.loading || this.closed) return;
    parked.loading = true;
    parked.reload = false;
    parking.head(parked.groupId).then(
      (record) => {
        parked.loading = false;
        if (record) {
          const payload = parking.payloadOf(record.message, parked.groupId);
          parked.head = {
            ...record,
            seq: -1,
            groupId: parked.groupId,
            transaction: SETTLED,
            payload: payload!,
            parked: true,
            sending: false,
          };
          if (payload === null || this.discardLater.delete(record.idempotencyKey))
            void this.nextParked(parked.head, true);
          else this.afterParkedChange(parked);
          this.schedule();
        } else if (parked.reload) {
          this.loadParkedHead(parked);
        } else if (parked.unstored.length === 0 && parked.storing === 0 && this.parked.get(parked.key) === parked) {
          this.parked.delete(parked.key);
          this.ready.delete(parked.key);
          this.clearTimer(parked.key);
        }
      },
      (error) => {
        parked.loading = false;
        this.hooks.onError(error);
        setTimeout(() => this.loadParkedHead(parked), PARKING_RETRY_MS).unref();
      },
    );
  }

  /**
   * A parked head is done with: delivered or discarded (`remove`: it leaves the store) or dead-lettered
   * (its record stays, as dead); the group's next parked message comes.
   */
  private async nextParked(message: PipelineMessage<P>, remove: boolean): Promise<void> {
    const parked = this.parked.get(this.groupKey(message));
    if (remove) {
      try {
        await this.parking!.remove(message.idempotencyKey);
      } catch (error) {
        this.hooks.onError(error); // the head comes again: delivered twice, never lost
      }
    }
    if (!parked || parked.head !== message) return;
    parked.head = null;
    this.loadParkedHead(parked);
  }

  /** A parked group's head is due now or at its retry time. */
  private afterParkedChange(parked: ParkedGroup<P>): void {
    if (parked.head) this.readyWhenDue(parked.key, parked.head);
  }

  /** Counts a failed attempt; true when the message was dead-lettered (stored; its group goes on). */
  private async recordFailure(message: PipelineMessage<P>, error: string, refused: boolean): Promise<boolean> {
    message.deliverCount++;
    message.lastError = error;
    message.refused = refused;
    message.firstFailedAt ??= Date.now();
    const { maxRetryCount } = this.settings;
    if (maxRetryCount !== null && message.deliverCount >= maxRetryCount) {
      try {
        await this.hooks.deadLettered(message);
        if (!message.parked) this.remove([message]);
        return true;
      } catch (storeError) {
        this.hooks.onError(storeError); // not stored: keep it and try again later
      }
    }
    message.notVisibleUntil = Date.now() + this.hooks.retryDelayMs(message.deliverCount);
    void this.hooks.failed(message).catch((e) => this.hooks.onError(e));
    return false;
  }

  private remove(messages: PipelineMessage<P>[]): void {
    if (messages.length === 0) return;
    // Usually each message is its group's head (in order, for a total-order batch): taken off the front.
    let others: PipelineMessage<P>[] | null = null;
    for (const message of messages) {
      const group = this.groups.get(this.groupKey(message));
      if (group !== undefined && group.peek() === message) group.shift();
      else (others ??= []).push(message);
    }
    if (others !== null) this.removeAnywhere(others);
    for (const message of messages) this.settle(message);
  }

  /** Removes messages that are not at the front of their groups. */
  private removeAnywhere(messages: PipelineMessage<P>[]): void {
    const byGroup = new Map<string, Set<PipelineMessage<P>>>();
    for (const message of messages) {
      const key = this.groupKey(message);
      let set = byGroup.get(key);
      if (!set) byGroup.set(key, (set = new Set()));
      set.add(message);
    }
    for (const [key, set] of byGroup) {
      const group = this.groups.get(key)!;
      let removed = 0;
      while (removed < set.size && group.peek() !== undefined && set.has(group.peek()!)) {
        group.shift();
        removed++;
      }
      // A total-order sink can see a later entry succeed after an earlier one failed; it is in Redis.
      if (removed < set.size) group.removeWhere((m) => set.has(m));
    }
  }

  private settle(message: PipelineMessage<P>): void {
    this.count--;
    this.tracker.settle(message.transaction);
    this.notifyIfNotFull();
  }

  /** Re-evaluates whether a group can send: its head is due, or a timer fires when it becomes due. */
  private afterGroupChange(key: string, group: Fifo<PipelineMessage<P>>): void {
    const head = group.peek();
    if (!head) {
      this.groups.delete(key);
      this.ready.delete(key);
      this.clearTimer(key);
      return;
    }
    this.readyWhenDue(key, head);
  }

  /** A group's head (in memory or parked) becomes sendable now, or when its retry time comes. */
  private readyWhenDue(key: string, head: PipelineMessage<P>): void {
    if (head.sending) return;
    const wait = head.notVisibleUntil - Date.now();
    this.clearTimer(key);
    if (wait <= 0) {
      this.ready.add(key);
      return;
    }
    this.ready.delete(key);
    const timer = setTimeout(() => {
      this.retryTimers.delete(key);
      const parked = this.parked.get(key);
      const group = this.groups.get(key);
      if (parked) this.afterParkedChange(parked);
      else if (group) this.afterGroupChange(key, group);
      this.schedule();
    }, wait);
    timer.unref();
    this.retryTimers.set(key, timer);
  }

  private clearTimer(key: string): void {
    const timer = this.retryTimers.get(key);
    if (timer) clearTimeout(timer);
    this.retryTimers.delete(key);
  }

  private notifyIfNotFull(force = false): void {
    if ((!force && this.isFull) || this.drainWaiters.length === 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
