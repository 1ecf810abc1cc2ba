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
   * Overrides max_ack_pending as the bound of what the reader holds undelivered: for a Sequin Stream,
   * max_ack_pending bounds its receivers' outstanding messages, not its storage.
   */
  readonly inFlightBound?: number;
  /** The command for a message, or null when this sink writes nothing for it (settled at once). */
  toPayload(message: Message, groupId: string | null): P | null;
  deliver(payloads: P[]): Promise<DeliveryOutcome[]>;
  close(): Promise<void>;
}
