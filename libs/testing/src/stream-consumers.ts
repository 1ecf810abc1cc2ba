import { setTimeout as delay } from 'node:timers/promises';
import type { WrittenChange } from './engine.js';
import type { StreamClient, StreamMessage } from './stream-client.js';

/** `action v` of one change, as a group's history lists it. */
const summary = (action: string, v: unknown): string => `${action} ${v ?? '-'}`;
/** Messages of these tests are grouped by primary key (the default grouping). */
const groupOf = (message: StreamMessage): string => String(message.data.record.id);

/**
 * What a crowd of consumers did with a stream, checked as they go: a message of a group handed out
 * while another of the same group is still unacked is an overlap; a message acked before and handed
 * out again is a resurrection. Acks are recorded in the order they were sent, which is each group's
 * delivery order (the next message of a group exists for receivers only once the previous ack is in).
 */
export class StreamLedger {
  readonly overlaps: string[] = [];
  readonly resurrections: string[] = [];
  /** Idempotency key → how often it was acked. */
  readonly acks = new Map<string, number>();
  /** Group → `action v` of each acked message, in ack order. */
  readonly histories = new Map<string, string[]>();
  /** The most messages outstanding at once (received, ack not yet sent): never above max_ack_pending. */
  maxOutstanding = 0;
  private readonly outstanding = new Map<string, string>();

  get acked(): number {
    return this.acks.size;
  }

  received(messages: StreamMessage[]): void {
    for (const message of messages) {
      const key = message.data.metadata.idempotency_key;
      const group = groupOf(message);
      if (this.acks.has(key)) this.resurrections.push(key);
      const holder = this.outstanding.get(group);
      // The same message again (its visibility ended) is a redelivery, not an overlap.
      if (holder !== undefined && holder !== key) this.overlaps.push(`group ${group}: ${holder} and ${key}`);
      this.outstanding.set(group, key);
    }
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding.size);
  }

  /** Before the ack is sent: from then on the server may hand out the next message of the group. */
  acking(messages: StreamMessage[]): void {
    for (const message of messages) {
      const key = message.data.metadata.idempotency_key;
      const group = groupOf(message);
      if (this.outstanding.get(group) === key) this.outstanding.delete(group);
      this.acks.set(key, (this.acks.get(key) ?? 0) + 1);
      const history = this.histories.get(group) ?? [];
      history.push(summary(message.data.action, message.data.record.v));
      this.histories.set(group, history);
    }
  }

  /** Keys acked more than once. */
  ackedTwice(): string[] {
    return [...this.acks].filter(([, count]) => count > 1).map(([key]) => key);
  }

  /** Each group's history, sorted by group, for comparing with `expectedHistories`. */
  sortedHistories(): Array<[string, string[]]> {
    return [...this.histories].sort(([a], [b]) => Number(a) - Number(b));
  }
}

/** The per-group histories a workload's committed changes must produce, sorted by group. */
export function expectedHistories(changes: WrittenChange[]): Array<[string, string[]]> {
  const histories = new Map<string, string[]>();
  for (const change of changes) {
    const history = histories.get(String(change.id)) ?? [];
    history.push(summary(change.action, change.v));
    histories.set(String(change.id), history);
  }
  return [...histories].sort(([a], [b]) => Number(a) - Number(b));
}

export interface ConsumeOptions {
  batchSize: number;
  waitForMs: number;
  /** Stop once this says so (checked between receives). */
  done(): boolean;
  timeoutMs: number;
}

/**
 * Runs one consumer per client until `done()`: receive, record, ack. A failed receive (an API
 * process going away) is retried on the next round — what it claimed comes back after its
 * visibility timeout; a failed ack is retried until it gets through.
 */
export async function consume(clients: StreamClient[], ledger: StreamLedger, options: ConsumeOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const ack = async (client: StreamClient, ackIds: string[]): Promise<void> => {
    while ((await client.ack(ackIds).catch(() => undefined))?.status !== 200) {
      if (Date.now() > deadline) throw new Error('an ack did not get through before the deadline');
      await delay(50);
    }
  };
  const consumer = async (client: StreamClient): Promise<void> => {
    while (!options.done() && Date.now() < deadline) {
      const answer = await client
        .receive({ batch_size: options.batchSize, wait_for: options.waitForMs })
        .catch(() => undefined);
      if (answer === undefined) await delay(50);
      if (answer?.status !== 200 || answer.body.data.length === 0) continue;
      const messages = answer.body.data;
      ledger.received(messages);
      ledger.acking(messages);
      await ack(
        client,
        messages.map((m) => m.ack_id),
      );
    }
  };
  await Promise.all(clients.map(consumer));
}
