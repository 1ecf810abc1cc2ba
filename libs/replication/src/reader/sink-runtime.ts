import type { SinkDelivery } from '#sinks/sink-delivery.js';
import { retryDelayMs } from '#sinks/retry-backoff.js';
import type { ChangeBody } from '../messages/change-body.js';
import {
  buildMessage,
  buildTruncateMessage,
  type ChangePosition,
  type DatabaseIdentity,
  type SinkMessageContext,
  sinkMessageContext,
  type TableName,
} from '../messages/envelope.js';
import { groupColumnsFor, groupId } from '../messages/group-id.js';
import type { Message, MessageAction } from '../messages/message.js';
import type { FlushTracker, TrackedTransaction } from '../pipeline/flush-tracker.js';
import { SinkPipeline, type PipelineSettings } from '../pipeline/sink-pipeline.js';
import { compileSinkScope, type SinkMatcher } from '../routing/sink-scope.js';
import type { LoadedSink } from './loaded-sink.js';
import type { MessageLedger } from './message-ledger.js';
import type { ReaderMetrics } from './reader-metrics.js';
import { groupValuesKnown, RowGroupAffinity, rowKeyOf } from './row-group-affinity.js';

/** A sink's pipeline settings: its own, unless its delivery overrides the batch size or the in-flight bound. */
export function pipelineSettingsOf(sink: LoadedSink, delivery: SinkDelivery<unknown>): PipelineSettings {
  const batchSize = delivery.preferredBatchSize ?? sink.batchSize;
  return {
    batchSize,
    batchesPerCall: Math.max(1, Math.floor((delivery.maxMessagesPerCall ?? 0) / batchSize)),
    maxBytesPerCall: delivery.maxBytesPerCall,
    maxAckPending: delivery.inFlightBound ?? sink.maxAckPending,
    maxRetryCount: sink.maxRetryCount,
    paused: sink.status === 'paused',
  };
}

/** One push sink inside a reader: which changes it takes, how they become messages, its pipeline. */
export class SinkRuntime {
  readonly pipeline: SinkPipeline<unknown>;
  private matcher: SinkMatcher;
  private context: SinkMessageContext;
  private nextSeq = 0;
  /** Made with the first message of a table grouped by its own columns (see RowGroupAffinity). */
  private affinity: RowGroupAffinity | null = null;

  constructor(
    private sink: LoadedSink,
    private readonly database: DatabaseIdentity,
    private readonly delivery: SinkDelivery<unknown>,
    tracker: FlushTracker,
    ledger: MessageLedger,
    private readonly metrics: ReaderMetrics,
    onError: (error: unknown) => void,
  ) {
    this.matcher = compileSinkScope(sink);
    this.context = sinkMessageContext(sink, database);
    this.pipeline = new SinkPipeline(delivery.ordering, pipelineSettingsOf(sink, delivery), tracker, {
      deliver: (payloads, batchSize) => this.delivery.deliver(payloads, batchSize),
      delivered: (messages) => {
        if (this.affinity) for (const m of messages) this.affinity.release(m.idempotencyKey);
        this.metrics.delivered(
          this.sink.id,
          this.sink.name,
          messages.map((m) => m.message.metadata.commit_timestamp),
        );
        ledger.delivered(this.sink.id, messages);
      },
      failed: (message) => {
        this.metrics.failed(this.sink.id, this.sink.name);
        return ledger.failed(this.sink.id, message);
      },
      deadLettered: async (message) => {
        await ledger.deadLettered(this.sink.id, message);
        this.affinity?.release(message.idempotencyKey);
      },
      retryDelayMs,
      onError,
      payloadBytes: delivery.payloadBytes?.bind(delivery),
      parking:
        delivery.parksPoisonedGroups && ledger.parking
          ? { ...ledger.parking(sink.id), payloadOf: (message, groupId) => delivery.toPayload(message, groupId) }
          : undefined,
    });
  }

  get id(): string {
    return this.sink.id;
  }

  get name(): string {
    return this.sink.name;
  }

  /** How many messages the reader may hold undelivered for this sink. */
  get inFlightBound(): number {
    return this.delivery.inFlightBound ?? this.sink.maxAckPending;
  }

  get version(): string {
    return this.sink.version;
  }

  /** Identifies the destination the delivery was built for (changes need a new connection). */
  get destinationKey(): string {
    return JSON.stringify(this.sink.destination);
  }

  update(sink: LoadedSink): void {
    this.sink = sink;
    this.matcher = compileSinkScope(sink);
    this.context = sinkMessageContext(sink, this.database);
    this.pipeline.update(pipelineSettingsOf(sink, this.delivery));
  }

  wants(schema: string, table: string, action: MessageAction, commitLsn: bigint): boolean {
    return commitLsn >= this.sink.startLsn && this.matcher(schema, table, action);
  }

  /** Routes one row change; returns false when this sink writes nothing for it. */
  pushRow(body: ChangeBody, position: ChangePosition, transaction: () => TrackedTransaction): boolean {
    const message = buildMessage(body, position, this.context);
    const { table } = body;
    const groupColumnNames = groupColumnsFor(this.sink.tables, table.schema, table.name);
    const { messageGrouping } = this.sink;
    let group = groupId(table, body.row, { messageGrouping, groupColumnNames });
    let affinity: RowGroupAffinity | null = null;
    if (group !== null && groupColumnNames !== null && body.recordPks.length > 0) {
      const byKey = groupId(table, body.row, { messageGrouping, groupColumnNames: null });
      if (byKey !== null) {
        affinity = this.affinity ??= new RowGroupAffinity();
        const rowKey = rowKeyOf(table.schema, table.name, body.recordPks);
        const ofValues = groupValuesKnown(body, groupColumnNames) ? group : null;
        group = affinity.assign(rowKey, position.idempotencyKey, ofValues, byKey);
      }
    }
    const pushed = this.push(message, group, position, transaction);
    if (!pushed) affinity?.release(position.idempotencyKey);
    return pushed;
  }

  /**
   * Drops failing messages by idempotency key (the messages API); how many it held. Their rows are
   * let go of at once, also for those out of reach now (in a call, or parked and not loaded), which
   * leave the pipeline later without a word.
   */
  discard(keys: Set<string>): number {
    if (this.affinity) for (const key of keys) this.affinity.releaseAll(key);
    return this.pipeline.discard(keys).length;
  }

  pushTruncate(table: TableName, position: ChangePosition, transaction: () => TrackedTransaction): boolean {
    return this.push(buildTruncateMessage(table, position, this.context), null, position, transaction);
  }

  /** The session ends: stop sending, and once the batch in flight has its answer, close the connection. */
  async close(): Promise<void> {
    await this.pipeline.close();
    await this.delivery.close();
  }

  async abandon(): Promise<void> {
    await this.pipeline.abandon();
    await this.delivery.close();
  }

  private push(
    message: Message,
    group: string | null,
    position: ChangePosition,
    transaction: () => TrackedTransaction,
  ): boolean {
    const payload = this.delivery.toPayload(message, group);
    if (payload === null) return false;
    this.metrics.ingested(this.sink.id, this.sink.name);
    this.pipeline.push({
      seq: this.nextSeq++,
      groupId: group,
      transaction: transaction(),
      idempotencyKey: position.idempotencyKey,
      commitLsn: position.commitLsn,
      payload,
      message,
      deliverCount: 0,
      lastError: null,
      notVisibleUntil: 0,
      sending: false,
    });
    return true;
  }
}
