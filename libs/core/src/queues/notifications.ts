/**
 * Redis pub/sub between the API and the workers. Best effort by design: a lost notification only
 * delays what the periodic reconcile and the WAL markers do anyway.
 */
export const changesChannel = (prefix: string): string => `${prefix}:changes`;
export const sinkCommandsChannel = (prefix: string): string => `${prefix}:sink-commands`;

/** A database or sink of this database was created, updated or deleted. */
export interface ChangeNotification {
  accountId: string;
  databaseId: string;
}

/** The messages API asks the reader holding the sink to act on failing messages. */
export interface SinkCommand {
  accountId: string;
  databaseId: string;
  sinkId: string;
  op: 'redeliver' | 'discard';
  /** Idempotency keys; null: all failing messages of the sink. */
  keys: string[] | null;
}

/** New or nacked messages of a Sequin Stream sink: wakes long-polling receivers in every API process. */
export const streamWakeChannel = (prefix: string, sinkId: string): string => `${prefix}:stream:${sinkId}`;
export const streamWakePattern = (prefix: string): string => `${prefix}:stream:*`;
/** A stream wake-up's payload when the sink itself changed (its cached copies go too); else `1`. */
export const STREAM_SINK_CHANGED = 'sink-changed';
/** Sorted set of the receive calls waiting on a sink, across API processes (max_waiting). */
export const streamWaitingKey = (prefix: string, sinkId: string): string => `${prefix}:stream-waiting:${sinkId}`;
