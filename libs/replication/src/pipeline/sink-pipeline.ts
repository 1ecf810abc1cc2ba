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
}

export interface PipelineSettings {
  batchSize: number;
  maxAckPending: number;
  maxRetryCount: number | null;
  paused: boolean;
}

export interface PipelineHooks<P> {
  deliver(payloads: P[]): Promise<DeliveryOutcome[]>;
  /** After a delivery; messages that had failed before are among them (their failure record can go). */
  delivered(messages: PipelineMessage<P>[]): void;
  /** After each failed attempt, for visibility (`failing` in the messages API). Best effort. */
  failed(message: PipelineMessage<P>): Promise<void>;
  /** Must store the message durably (dead-letter list) before resolving; only then is it settled. */
  deadLettered(message: PipelineMessage<P>): Promise<void>;
  retryDelayMs(failedAttempts: number): number;
  onError(error: unknown): void;
}

const TOTAL_ORDER_GROUP = '';

/**
 * One sink's outgoing messages on one replication reader: batching, ordering, retries with backoff,
 * dead-lettering, and the in-flight bound the reader respects before reading more.
 */
export class SinkPipeline<P> {
  private readonly groups = new Map<string, Fifo<PipelineMessage<P>>>();
  /** Groups whose head may be sent now, in arrival order. */
  private readonly ready = new Set<string>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private count = 0;
  private inFlight = false;
  private scheduled = false;
  private closed = false;
  private batchInFlight: Promise<void> = Promise.resolve();
  private drainWaiters: Array<() => void> = [];

  constructor(
    private readonly mode: OrderingMode,
    private settings: PipelineSettings,
    private readonly tracker: FlushTracker,
    private readonly hooks: PipelineHooks<P>,
  ) {}

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

  /** Messages waiting or failing, oldest first (for the messages API). */
  *messages(): IterableIterator<PipelineMessage<P>> {
    for (const group of this.groups.values()) yield* group;
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
    this.schedule();
  }

  /** Drops messages by idempotency key as if delivered (the user chose to discard them). */
  discard(keys: Set<string>): PipelineMessage<P>[] {
    const dropped: PipelineMessage<P>[] = [];
    for (const [key, group] of this.groups) {
      const removed = group.removeWhere((m) => keys.has(m.idempotencyKey) && !this.sending.has(m));
      if (removed.length === 0) continue;
      dropped.push(...removed);
      this.afterGroupChange(key, group);
    }
    for (const message of dropped) this.settle(message);
    this.schedule();
    return dropped;
  }

  /** Stops sending; resolves when the batch in flight (if any) has its answer. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    this.notifyIfNotFull(true);
    await this.batchInFlight;
  }

  /** The sink was deleted or disabled: nothing of it needs delivering any more, so the slot may move on. */
  async abandon(): Promise<void> {
    await this.close();
    for (const group of this.groups.values()) for (const message of group) this.settle(message);
    this.groups.clear();
    this.ready.clear();
  }

  private readonly sending = new Set<PipelineMessage<P>>();

  private isSending(key: string): boolean {
    const head = this.groups.get(key)?.peek();
    return head !== undefined && this.sending.has(head);
  }

  private groupKey(message: PipelineMessage<P>): string {
    if (this.mode === 'total') return TOTAL_ORDER_GROUP;
    // Ungrouped messages each form their own group: no order among them, full parallelism.
    return message.groupId === null ? `\u0000${message.seq}` : `g:${message.groupId}`;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight || this.closed || this.settings.paused || this.ready.size === 0) return;
    this.scheduled = true;
    // setImmediate lets the reader hand over everything it decoded from one network read first.
    setImmediate(() => {
      this.scheduled = false;
      this.batchInFlight = this.sendBatch().catch((error) => this.hooks.onError(error));
    });
  }

  private takeBatch(): PipelineMessage<P>[] {
    const batch: PipelineMessage<P>[] = [];
    const now = Date.now();
    for (const key of this.ready) {
      if (batch.length >= this.settings.batchSize) break;
      this.ready.delete(key);
      const group = this.groups.get(key)!;
      if (this.mode === 'total') {
        for (let i = 0; i < group.length && batch.length < this.settings.batchSize; i++) {
          const message = group.peek(i)!;
          if (message.notVisibleUntil > now) break;
          batch.push(message);
        }
      } else {
        batch.push(group.peek()!);
      }
    }
    return batch;
  }

  private async sendBatch(): Promise<void> {
    if (this.inFlight || this.closed || this.settings.paused) return;
    const batch = this.takeBatch();
    if (batch.length === 0) return;
    this.inFlight = true;
    for (const message of batch) this.sending.add(message);
    try {
      const outcomes = await this.hooks.deliver(batch.map((m) => m.payload));
      const delivered: PipelineMessage<P>[] = [];
      for (let i = 0; i < batch.length; i++) {
        const message = batch[i]!;
        const outcome = outcomes[i] ?? { ok: false, error: 'no outcome' };
        if (outcome.ok) delivered.push(message);
        else await this.recordFailure(message, outcome.error);
      }
      this.remove(delivered);
      if (delivered.length > 0) this.hooks.delivered(delivered);
    } finally {
      for (const message of batch) this.sending.delete(message);
      this.inFlight = false;
      for (const key of new Set(batch.map((m) => this.groupKey(m)))) {
        const group = this.groups.get(key);
        if (group) this.afterGroupChange(key, group);
      }
      this.schedule();
    }
  }

  private async recordFailure(message: PipelineMessage<P>, error: string): Promise<void> {
    message.deliverCount++;
    message.lastError = error;
    const { maxRetryCount } = this.settings;
    if (maxRetryCount !== null && message.deliverCount >= maxRetryCount) {
      try {
        await this.hooks.deadLettered(message);
        this.remove([message]);
        return;
      } catch (storeError) {
        this.hooks.onError(storeError); // not stored: keep it and try again later
      }
    }
    message.notVisibleUntil = Date.now() + this.hooks.retryDelayMs(message.deliverCount);
    void this.hooks.failed(message).catch((e) => this.hooks.onError(e));
  }

  private remove(messages: PipelineMessage<P>[]): void {
    if (messages.length === 0) return;
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
    for (const message of messages) this.settle(message);
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
    if (this.sending.has(head)) return;
    const wait = head.notVisibleUntil - Date.now();
    if (wait <= 0) {
      this.clearTimer(key);
      this.ready.add(key);
    } else if (!this.retryTimers.has(key)) {
      this.ready.delete(key);
      const timer = setTimeout(() => {
        this.retryTimers.delete(key);
        const current = this.groups.get(key);
        if (current) this.afterGroupChange(key, current);
        this.schedule();
      }, wait);
      timer.unref();
      this.retryTimers.set(key, timer);
    }
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
