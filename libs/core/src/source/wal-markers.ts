import type pg from 'pg';
import { lsnToBigInt } from './lsn.js';

/**
 * Logical message written when a sink is created. Its LSN is the sink's start_lsn, and the reader,
 * meeting it in the stream, loads the new sink before the first change committed after it: no change
 * is missed however far ahead or behind the reader is.
 *
 * Content: `<sink id>:<metadata transaction id>`, the id of the metadata transaction that inserts the
 * sink (still open when the marker is written). The reader waits for the sink only while that
 * transaction is in progress: once it has committed or aborted, the sink is there, was deleted since,
 * or never came to be, and nothing is gained by waiting. (Markers of earlier versions hold the sink
 * id alone.)
 */
export const SINK_CREATED_PREFIX = 'sluice:sink_created';

export interface SinkCreatedMarker {
  sinkId: string;
  /** pg_current_xact_id() of the metadata transaction inserting the sink, as text; null in old markers. */
  transactionId: string | null;
}

/** Writes the marker (non-transactional: visible at once) and returns its LSN as decimal text. */
export async function emitSinkCreatedMarker(
  client: pg.Client,
  marker: { sinkId: string; transactionId: string },
): Promise<string> {
  const content = `${marker.sinkId}:${marker.transactionId}`;
  const { rows } = await client.query<{ lsn: string }>(`SELECT pg_logical_emit_message(false, $1, $2)::text AS lsn`, [
    SINK_CREATED_PREFIX,
    content,
  ]);
  return lsnToBigInt(rows[0]!.lsn).toString();
}

export function parseSinkCreatedMarker(content: string): SinkCreatedMarker {
  const [sinkId = '', transactionId] = content.split(':');
  return { sinkId, transactionId: transactionId ?? null };
}

/**
 * Logical message a backfill writes (transactional, in its own transaction) after reading a page;
 * its content is the page id. The reader emits the page's rows when it meets the message, minus
 * the rows changed since the page was opened (see libs/replication/src/backfill).
 */
export const BACKFILL_WATERMARK_PREFIX = 'sluice:backfill_page';
