import type { SinkDestination } from '#core/entities/sink-destination.js';
import type { Sink } from '#core/entities/sink.entity.js';
import type { LoadedSink } from '#replication/reader/loaded-sink.js';

export function toLoadedSink(sink: Sink): LoadedSink {
  return {
    id: sink.id,
    name: sink.name,
    status: sink.status,
    destination: sink.destination as unknown as SinkDestination,
    source: sink.source,
    tables: sink.tables,
    actions: sink.actions,
    messageGrouping: sink.messageGrouping,
    batchSize: sink.batchSize,
    maxAckPending: sink.maxAckPending,
    maxRetryCount: sink.maxRetryCount,
    annotations: sink.annotations,
    startLsn: BigInt(sink.startLsn),
    version: sink.updatedAt.toISOString(),
  };
}
