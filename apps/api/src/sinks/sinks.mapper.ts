import type { Vault } from '#core/crypto/vault.js';
import type { Backfill } from '#core/entities/backfill.entity.js';
import type { Sink } from '#core/entities/sink.entity.js';
import { toBackfillDto } from '../backfills/backfills.mapper.js';
import type { SinkDto } from './dto/sink.dto.js';
import { UNRESTRICTED_SOURCE } from './sink-defaults.js';
import { asSinkDestination, destinationView } from './sink-destination.js';
import type { SinkObservation } from './messages/sink-observations.js';
import { sinkHealth } from './sink-health.js';

/**
 * A sink with the name of its database, which the response carries, what is observed of its
 * delivery, and its active and paused backfills.
 */
export interface SinkRecord {
  sink: Sink;
  databaseName: string;
  observation?: SinkObservation;
  backfills: Backfill[];
}

export function toSinkDto({ sink, databaseName, observation, backfills }: SinkRecord, vault: Vault): SinkDto {
  return {
    id: sink.id,
    name: sink.name,
    database: databaseName,
    database_id: sink.postgresDatabaseId,
    destination: destinationView(asSinkDestination(sink.destination), vault),
    status: sink.status,
    source: { ...UNRESTRICTED_SOURCE, ...sink.source },
    tables: sink.tables,
    actions: sink.actions,
    message_grouping: sink.messageGrouping,
    batch_size: sink.batchSize,
    max_ack_pending: sink.maxAckPending,
    max_retry_count: sink.maxRetryCount,
    ack_wait_ms: sink.ackWaitMs,
    max_waiting: sink.maxWaiting,
    annotations: sink.annotations,
    initial_backfill: sink.initialBackfill,
    filter: sink.filter,
    transform: sink.transform,
    routing: sink.routing,
    start_lsn: Number(sink.startLsn),
    inserted_at: sink.insertedAt.toISOString(),
    updated_at: sink.updatedAt.toISOString(),
    health: sinkHealth(sink, observation),
    active_backfills: backfills.map((backfill) => toBackfillDto(backfill, sink.name)),
  };
}
