/**
 * What only the worker holding a sink's slot knows — whether its reader runs, the messages it still
 * buffers, the ones it delivered last — published to the internal Redis for the API (health and the
 * messages API). Best effort by design: the keys expire, so a dead worker's status disappears on its own.
 */

/** JSON `SinkStatusSnapshot`, refreshed every `SINK_STATUS_INTERVAL_MS` while a reader runs the sink. */
export const sinkStatusKey = (prefix: string, sinkId: string): string => `${prefix}:sink:${sinkId}:status`;
/** JSON array of warning texts about a sink's recent changes (e.g. invalid transaction annotations). */
export const sinkWarningsKey = (prefix: string, sinkId: string): string => `${prefix}:sink:${sinkId}:warnings`;
/** A warning shows in the sink's health for this long after it happened. */
export const SINK_WARNING_TTL_MS = 10 * 60_000;
/** List of JSON `MessageSummary`, newest first, at most `RECENT_DELIVERED_MAX`. */
export const sinkDeliveredKey = (prefix: string, sinkId: string): string => `${prefix}:sink:${sinkId}:delivered`;

export const SINK_STATUS_INTERVAL_MS = 1_000;
/** A status older than this is gone: the reader stopped (or its worker died). */
export const SINK_STATUS_TTL_MS = 10_000;
/** The recently delivered list of a sink that delivers nothing any more goes away after this. */
export const SINK_DELIVERED_TTL_MS = 7 * 24 * 3600_000;
export const RECENT_DELIVERED_MAX = 100;
export const PENDING_SNAPSHOT_MAX = 100;

/** One message as the messages API shows it (`GET /api/sinks/:id_or_name/messages`). */
export interface MessageSummary {
  /** The message's idempotency key: the id the redeliver and discard routes take. */
  id: string;
  /** Order of the message on its sink within the current reader session; null for parked messages. */
  seq: number | null;
  group_id: string | null;
  /** Delivery attempts so far (a delivered message counts its successful attempt). */
  deliver_count: number;
  last_error: string | null;
  /** ISO 8601, or null when due. */
  not_visible_until: string | null;
  commit_lsn: number;
  /** ISO 8601. */
  inserted_at: string;
  data: MessageEnvelopeJson;
}

/** The message envelope (spec messages.md) as JSON. */
export interface MessageEnvelopeJson {
  record: Record<string, unknown>;
  changes: Record<string, unknown> | null;
  action: string;
  metadata: Record<string, unknown>;
}

export interface SinkStatusSnapshot {
  reader: 'running';
  /** ISO 8601. */
  updated_at: string;
  slot: string;
  /** Messages the reader holds undelivered (pending and failing). */
  outstanding: number;
  /** Of those, messages that failed at least once. */
  failing: number;
  /** The most recent delivery error while messages are failing; null otherwise. */
  last_error: string | null;
  /** The oldest `PENDING_SNAPSHOT_MAX` messages not yet attempted (or attempted without failure yet). */
  pending: MessageSummary[];
}
