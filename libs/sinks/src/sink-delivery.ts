import type { Message } from '#replication/messages/message.js';
import type { DeliveryOutcome } from './redis/redis-connection.js';

/**
 * `total`: one order for the whole sink (a Redis Stream receives entries in source commit order).
 * `per-group`: order only within a group; groups flow independently (Redis String).
 */
export type OrderingMode = 'total' | 'per-group';

/** How one push sink turns messages into destination commands and sends them. */
export interface SinkDelivery<P> {
  readonly ordering: OrderingMode;
  /**
   * Per-group deliveries whose failures can be one message's fault (a key the destination refuses):
   * a poisoned group is parked in the metadata Postgres instead of filling the in-flight bound.
   */
  readonly parksPoisonedGroups?: boolean;
  /** Overrides the sink's batch_size (a Sequin Stream stores in large batches whatever batch_size says). */
  readonly preferredBatchSize?: number;
  /**
   * Up to how many messages one deliver() call may carry as consecutive batches of `batch_size`, sent
   * in one round trip (each batch applied only once the one before it went in whole). Without it a
   * call carries one batch: a total-order sink with one call in flight would then move one batch per
   * round trip, whatever the backlog.
   */
  readonly maxMessagesPerCall?: number;
  /**
   * With payloadBytes: a call stops taking messages past this many bytes (it takes one at least), so
   * that large rows do not make a call of maxMessagesPerCall messages hundreds of megabytes.
   */
  readonly maxBytesPerCall?: number;
  /** A payload's size as sent, for maxBytesPerCall. */
  payloadBytes?(payload: P): number;
  /**
   * Overrides max_ack_pending as the bound of what the reader holds undelivered: for a Sequin Stream,
   * max_ack_pending bounds its receivers' outstanding messages, not its storage.
   */
  readonly inFlightBound?: number;
  /**
   * Starts in the background what the first call would otherwise do first (connect, load a script):
   * a reader catching up keeps the event loop busy, and each of those round trips then waited a turn
   * of it (a catch-up's first call took 0.3 s). Failures are left to the calls, which report them (a
   * call after a failed attempt waits for the client's next one, up to its 2 s retry delay).
   */
  prepare?(): void;
  /** The command for a message, or null when this sink writes nothing for it (settled at once). */
  toPayload(message: Message, groupId: string | null): P | null;
  /** `batchSize`: the sink's batch_size, to split a call into batches (default: the call is one batch). */
  deliver(payloads: P[], batchSize?: number): Promise<DeliveryOutcome[]>;
  close(): Promise<void>;
}
