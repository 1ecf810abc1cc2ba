import type { SinkAction, SinkSource } from '#core/entities/sink.entity.js';
import type { DestinationType } from './dto/destination.dto.js';

export const DEFAULT_BATCH_SIZE: Record<DestinationType, number> = {
  redis_stream: 50,
  redis_string: 10,
  sequin_stream: 1,
};

export const DEFAULT_ACTIONS: readonly SinkAction[] = ['insert', 'update', 'delete'];

export const REDIS_DEFAULT_PORT = 6379;

export const SINK_DEFAULTS = {
  status: 'active',
  messageGrouping: true,
  maxAckPending: 10_000,
  maxRetryCount: null,
  ackWaitMs: 30_000,
  maxWaiting: 20,
  initialBackfill: false,
} as const;

/** All tables of the publication. */
export const UNRESTRICTED_SOURCE: SinkSource = {
  include_schemas: null,
  exclude_schemas: null,
  include_tables: null,
  exclude_tables: null,
};
