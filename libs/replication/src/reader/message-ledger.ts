import type { ParkingHooks, PipelineMessage } from '../pipeline/sink-pipeline.js';

/**
 * Where the reader records messages in trouble so that the API can show them and the slot can move
 * on: implemented over the metadata Postgres by the worker.
 */
export interface MessageLedger {
  /** After each failed attempt (visibility: `failing` with deliver_count, last_error, not_visible_until). */
  failed(sinkId: string, message: PipelineMessage<unknown>): Promise<void>;
  /** Stores the message durably as dead-lettered; only then may the slot move past it. */
  deadLettered(sinkId: string, message: PipelineMessage<unknown>): Promise<void>;
  /** Delivered messages; those that had failed before lose their failing record. */
  delivered(sinkId: string, messages: PipelineMessage<unknown>[]): void;
  /** Where a per-group sink parks poisoned groups (the payload is the sink's business). */
  parking?(sinkId: string): Omit<ParkingHooks<unknown>, 'payloadOf'>;
}
