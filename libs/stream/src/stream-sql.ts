/**
 * The statements of the Sequin Stream store (stream_messages). Receive, ack and nack filter by the
 * sink only: their callers resolved the sink within the caller's account, and account_id is in no
 * index of the hot paths.
 */

/** Advisory lock seeds, hashed with the sink id (the stream functions of the migrations use them too). */
export const HEADS_LOCK_SEED = 7376;
export const RECEIVE_LOCK_SEED = 7377;

/** Separates the messages' JSON texts in STORE_SQL's $4: valid JSON never holds it unescaped. */
export const MESSAGE_SEPARATOR = '\u001e';

/**
 * Stores messages newer than the sink's cursor and moves the cursor, in one round trip:
 * sluice_stream_store (migrations 1763970000000 and 1763980000000) takes the sink's heads lock, locks
 * the sink's row (a sink deleted meanwhile fails the store, SQLSTATE 23503), then stores in one
 * statement. $1 account, $2 sink, $3 a JSON array of `[idempotency_key, group_id, commit_lsn,
 * commit_idx]`, $4 the messages' JSON texts joined by MESSAGE_SEPARATOR in the same order (they go in
 * as they are, where inside the JSON array every quote of every message was escaped in JavaScript and
 * unescaped by Postgres); when $4 is null, each entry of $3 has the message as a fifth element.
 * A change the slot replays after a crash is not stored again, even if it was acked (deleted) since.
 */
export const STORE_SQL = `SELECT sluice_stream_store($1, $2, $3::json, $4) AS stored`;

/**
 * Claims up to $2 messages, redeliveries first, new heads within max_ack_pending ($4); $3 visibility
 * ms. sluice_stream_receive (migration 1763930000000) takes the sink's receive lock, then claims in
 * one statement whose snapshot and clock come after the lock: one round trip in all. Its commit does
 * not wait for the WAL flush (migration 1763960000000): a claim lost in a crash is a redelivery.
 * Send it as a statement of its own: inside a larger transaction, all of it would commit that way.
 */
export const RECEIVE_SQL = `SELECT seq::text, ack_id, data FROM sluice_stream_receive($1, $2, $3, $4)`;

/**
 * Deletes acked messages ($2), promotes the next head of their groups, lowers the outstanding count;
 * `wake` when waiting receivers may now find something ($3 max_ack_pending). sluice_stream_ack takes
 * the sink's heads lock in shared mode first.
 */
export const ACK_SQL = `SELECT acked, wake FROM sluice_stream_ack($1, $2::uuid[], $3)`;

/** Due at once, before any other redelivery. $1 sink, $2 ack ids. */
export const NACK_SQL = `
  UPDATE stream_messages SET not_visible_until = '-infinity'
   WHERE ack_id = ANY($2::uuid[]) AND sink_id = $1 AND not_visible_until > '-infinity'
  RETURNING 1`;

/**
 * The messages API's redeliver: outstanding messages (these idempotency keys $2, or every failing one
 * when null) are due at once, like a nack. $1 sink.
 */
export const REDELIVER_SQL = `
  UPDATE stream_messages SET not_visible_until = '-infinity'
   WHERE sink_id = $1 AND deliver_count > 0 AND not_visible_until > '-infinity'
     AND CASE WHEN $2::text[] IS NULL THEN deliver_count > 1 OR not_visible_until <= clock_timestamp()
              ELSE idempotency_key = ANY($2::text[]) END
  RETURNING 1`;

/**
 * The messages API's discard ($2 idempotency keys): deleted like an ack (whether handed out or not),
 * the next message of a discarded head's group becomes its head, the outstanding count drops by
 * what was handed out. Runs under the sink's heads lock.
 */
export const DISCARD_SQL = `
  WITH gone AS (
    DELETE FROM stream_messages WHERE sink_id = $1 AND idempotency_key = ANY($2::text[])
    RETURNING seq, group_id, is_head, deliver_count
  ), next_heads AS (
    SELECT n.seq FROM (SELECT DISTINCT g.group_id FROM gone g WHERE g.group_id IS NOT NULL AND g.is_head) a
     CROSS JOIN LATERAL (
       SELECT m.seq FROM stream_messages m
        WHERE m.sink_id = $1 AND m.group_id = a.group_id AND m.seq NOT IN (SELECT g.seq FROM gone g)
        ORDER BY m.seq LIMIT 1
     ) n
  ), promoted AS (
    UPDATE stream_messages s SET is_head = true WHERE s.seq IN (SELECT seq FROM next_heads) RETURNING 1
  ), counted AS (
    INSERT INTO stream_outstanding AS o (sink_id, shard, n)
    SELECT $1, pg_backend_pid() % 32, -count(*) FROM gone WHERE deliver_count > 0 HAVING count(*) > 0
    ON CONFLICT (sink_id, shard) DO UPDATE SET n = o.n + EXCLUDED.n
  )
  SELECT (SELECT count(*) FROM gone)::int AS discarded`;

/** When the next outstanding message becomes due again, if one is still invisible. $1 sink. */
export const NEXT_VISIBILITY_END_SQL = `
  SELECT min(not_visible_until) AS at FROM stream_messages
   WHERE sink_id = $1 AND deliver_count > 0 AND not_visible_until > clock_timestamp()`;

/** Which rows each state of the messages API lists. */
export const LIST_CONDITIONS = {
  /** Never handed out. */
  pending: 'deliver_count = 0',
  /** Handed out and not acked (invisible, or due again). */
  outstanding: 'deliver_count > 0',
  /** Handed out and not acked in time, or nacked: redelivered, or due to be. */
  failing: 'deliver_count > 0 AND (deliver_count > 1 OR not_visible_until <= clock_timestamp())',
} as const;

export type StreamListState = keyof typeof LIST_CONDITIONS;
