import type { SinkAction, SinkSource, SinkStatus, SinkTableGrouping } from '#core/entities/sink.entity.js';
import type { SinkDestination } from '#core/entities/sink-destination.js';
import type { DatabaseIdentity } from '../messages/envelope.js';
import type { JsonObject } from '../messages/message.js';

/** A sink as the reader needs it, read from the metadata database. */
export interface LoadedSink {
  id: string;
  name: string;
  status: SinkStatus;
  destination: SinkDestination;
  source: SinkSource | null;
  tables: SinkTableGrouping[];
  actions: SinkAction[];
  messageGrouping: boolean;
  batchSize: number;
  maxAckPending: number;
  maxRetryCount: number | null;
  annotations: JsonObject;
  /** Changes committed before this LSN are not for this sink (it did not exist yet). */
  startLsn: bigint;
  /** Changed whenever the sink is updated; a new version means settings to re-apply. */
  version: string;
}

export interface ReaderSource {
  database: DatabaseIdentity;
  slotName: string;
  publicationName: string;
}
