import type pg from 'pg';
import { lsnToBigInt } from './lsn.js';

/**
 * Logical message written when a sink is created. Its LSN is the sink's start_lsn, and the reader,
 * meeting it in the stream, loads the new sink before the first change committed after it: no change
 * is missed however far ahead or behind the reader is.
 */
export const SINK_CREATED_PREFIX = 'sluice:sink_created';

/** Writes the marker (non-transactional: visible at once) and returns its LSN as decimal text. */
export async function emitSinkCreatedMarker(client: pg.Client, sinkId: string): Promise<string> {
  const { rows } = await client.query<{ lsn: string }>(`SELECT pg_logical_emit_message(false, $1, $2)::text AS lsn`, [
    SINK_CREATED_PREFIX,
    sinkId,
  ]);
  return lsnToBigInt(rows[0]!.lsn).toString();
}

/**
 * Logical message a backfill writes (transactional, in its own transaction) after reading a page;
 * its content is the page id. The reader emits the page's rows when it meets the message, minus
 * the rows changed since the page was opened (see libs/replication/src/backfill).
 */
export const BACKFILL_WATERMARK_PREFIX = 'sluice:backfill_page';
