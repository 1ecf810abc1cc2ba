import type { Redis } from 'ioredis';
import {
  type MessageEnvelopeJson,
  type MessageSummary,
  PENDING_SNAPSHOT_MAX,
  RECENT_DELIVERED_MAX,
  SINK_DELIVERED_TTL_MS,
  SINK_STATUS_INTERVAL_MS,
  SINK_STATUS_TTL_MS,
  SINK_WARNING_TTL_MS,
  sinkDeliveredKey,
  sinkWarningsKey,
  type SinkStatusSnapshot,
  sinkStatusKey,
} from '#core/queues/sink-status.js';
import { messageJson } from '#replication/messages/message-json.js';
import { Fifo } from '#replication/pipeline/fifo.js';
import type { PipelineMessage } from '#replication/pipeline/sink-pipeline.js';
import type { SlotReader } from '#replication/reader/slot-reader.js';

type Message = PipelineMessage<unknown>;

/** How the messages API shows a message the reader holds or delivered. */
export function summarize(message: Message, deliverCount = message.deliverCount): MessageSummary {
  const { metadata } = message.message;
  return {
    id: message.idempotencyKey,
    seq: message.seq,
    group_id: message.groupId,
    deliver_count: deliverCount,
    last_error: message.lastError,
    not_visible_until: message.notVisibleUntil > 0 ? new Date(message.notVisibleUntil).toISOString() : null,
    commit_lsn: Number(message.commitLsn),
    inserted_at: isoTimestamp(metadata.commit_timestamp),
    data: message.message as unknown as MessageEnvelopeJson,
  };
}

function isoTimestamp(text: string): string {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? text : new Date(ms).toISOString();
}

/** How long delivered messages wait in memory before they are written to Redis together. */
const RECENT_FLUSH_MS = 200;
/**
 * The same while the last write was full (a sink delivered a whole list's worth meanwhile): then the
 * list is replaced on every write, and serialising it 5 times a second for 4 busy sinks alone took
 * 2.7 % of the fan-out bench's worker time.
 */
const RECENT_FLUSH_BUSY_MS = 1000;

/** A summary's JSON, with the message's JSON built the way the sinks build it (records serialised once). */
function summaryJson(message: Message): string {
  const { data: _data, ...summary } = summarize(message, message.deliverCount + 1);
  const json = JSON.stringify(summary);
  return `${json.slice(0, -1)},"data":${messageJson(message.message)}}`;
}

/**
 * The recently delivered list of each sink. The delivery path only keeps references to the newest
 * messages of a batch (no JSON, no I/O); a flush a moment later writes the newest
 * `RECENT_DELIVERED_MAX` of each sink in one pipeline, so the cost does not grow with throughput.
 */
export class RecentDeliveries {
  /** Per sink, its newest delivered messages since the last flush, at most RECENT_DELIVERED_MAX. */
  private readonly newest = new Map<string, Fifo<Message>>();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  add(sinkId: string, delivered: readonly Message[]): void {
    let newest = this.newest.get(sinkId);
    if (!newest) this.newest.set(sinkId, (newest = new Fifo()));
    for (let i = Math.max(0, delivered.length - RECENT_DELIVERED_MAX); i < delivered.length; i++) {
      newest.push(delivered[i]!);
      if (newest.length > RECENT_DELIVERED_MAX) newest.shift();
    }
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.busy ? RECENT_FLUSH_BUSY_MS : RECENT_FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Writes what is buffered; fire-and-forget. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const pipeline = this.redis.pipeline();
    this.busy = false;
    for (const [sinkId, newest] of this.newest) {
      if (newest.length === 0) {
        // Idle since the last flush: the queue goes (a removed sink's would stay forever).
        this.newest.delete(sinkId);
        continue;
      }
      const key = sinkDeliveredKey(this.prefix, sinkId);
      this.busy ||= newest.length >= RECENT_DELIVERED_MAX;
      // Oldest first: LPUSH leaves the newest at the head.
      const values: string[] = [];
      while (newest.length > 0) values.push(summaryJson(newest.shift()!));
      pipeline
        .lpush(key, ...values)
        .ltrim(key, 0, RECENT_DELIVERED_MAX - 1)
        .pexpire(key, SINK_DELIVERED_TTL_MS);
    }
    if (pipeline.length > 0) pipeline.exec().catch(this.onError);
  }
}

interface TrackedReader {
  slot: string;
  /** Sinks whose status this reader published last, to remove when it stops. */
  published: Set<string>;
}

/**
 * Publishes, every second while readers run in this process, each of their sinks' status
 * (`SinkStatusSnapshot`, with a TTL) for the API's health and `pending` messages; also owns the
 * recently delivered lists.
 */
export class SinkStatusPublisher {
  readonly recent: RecentDeliveries;
  private readonly readers = new Map<SlotReader, TrackedReader>();
  private readonly lastErrors = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly onError: (error: unknown) => void,
  ) {
    this.recent = new RecentDeliveries(redis, prefix, onError);
  }

  /** The ledger saw a failed attempt: the status carries the error while messages fail. */
  noteFailure(sinkId: string, error: string | null): void {
    if (error !== null) this.lastErrors.set(sinkId, error);
  }

  /** Publishes `reader`'s sinks until the returned function is called (when the reader ended). */
  track(reader: SlotReader, slot: string): () => Promise<void> {
    this.readers.set(reader, { slot, published: new Set() });
    if (!this.timer) {
      this.timer = setInterval(() => this.publish(), SINK_STATUS_INTERVAL_MS);
      this.timer.unref();
    }
    return () => this.untrack(reader);
  }

  private async untrack(reader: SlotReader): Promise<void> {
    const tracked = this.readers.get(reader);
    this.readers.delete(reader);
    if (this.readers.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    this.recent.flush();
    if (!tracked || tracked.published.size === 0) return;
    // The reader stopped: its sinks have no running reader until another one publishes.
    const keys = [...tracked.published].map((id) => sinkStatusKey(this.prefix, id));
    for (const id of tracked.published) this.lastErrors.delete(id);
    await this.redis.del(...keys).catch(this.onError);
  }

  private publish(): void {
    const pipeline = this.redis.pipeline();
    const updatedAt = new Date().toISOString();
    let count = 0;
    for (const [reader, tracked] of this.readers) {
      const session = reader.current;
      if (!session) continue;
      const published = new Set<string>();
      const warnings = session.recentWarnings().filter((w) => w.at > Date.now() - SINK_WARNING_TTL_MS);
      for (const sink of session.sinkStates()) {
        if (warnings.length > 0) {
          // Expires with the newest warning, so a warning shows for its time and not forever.
          const ttl = warnings.at(-1)!.at + SINK_WARNING_TTL_MS - Date.now();
          const texts = warnings.map((w) => `${new Date(w.at).toISOString()}: ${w.message}`);
          pipeline.set(sinkWarningsKey(this.prefix, sink.id), JSON.stringify(texts), 'PX', ttl);
        }
        const snapshot = this.snapshot(tracked.slot, updatedAt, sink.outstanding, session.pending(sink.id), sink.id);
        pipeline.set(sinkStatusKey(this.prefix, sink.id), JSON.stringify(snapshot), 'PX', SINK_STATUS_TTL_MS);
        published.add(sink.id);
        count++;
      }
      tracked.published = published;
    }
    if (count > 0) pipeline.exec().catch(this.onError);
  }

  private snapshot(
    slot: string,
    updatedAt: string,
    outstanding: number,
    messages: Message[],
    sinkId: string,
  ): SinkStatusSnapshot {
    let failing = 0;
    let pending: Message[] = [];
    for (const message of messages) {
      if (message.deliverCount > 0) failing++;
      else pending.push(message);
    }
    if (pending.length > PENDING_SNAPSHOT_MAX) {
      pending = pending.sort((a, b) => a.seq - b.seq).slice(0, PENDING_SNAPSHOT_MAX);
    } else {
      pending.sort((a, b) => a.seq - b.seq);
    }
    if (failing === 0) this.lastErrors.delete(sinkId);
    return {
      reader: 'running',
      updated_at: updatedAt,
      slot,
      outstanding,
      failing,
      last_error: failing > 0 ? (this.lastErrors.get(sinkId) ?? null) : null,
      pending: pending.map((m) => summarize(m)),
    };
  }
}
