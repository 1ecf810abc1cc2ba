import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sequin Stream receive and ack in one round trip each, without re-reading the backlog or the
 * outstanding set:
 * - `stream_outstanding` counts the sink's messages handed out and not acked (receive adds the new
 *   ones it hands out, ack subtracts what it deletes), in up to 32 shards per sink: each transaction
 *   updates the shard of its connection, so concurrent acks do not queue on one row until commit.
 *   max_ack_pending costs reading the shards, not the outstanding messages;
 * - new group heads and outstanding messages get partial indexes of their own;
 * - a nacked message is due at '-infinity' instead of null, so the outstanding index finds it first;
 * - sluice_stream_receive / sluice_stream_ack take the sink's advisory lock and then run their
 *   statement, which thus reads a snapshot (and the clock) taken after the lock was granted. Their
 *   statements are planned on every call (the LIMITs must be known to walk the indexes in order).
 *
 * Advisory lock seeds (hashed with the sink id), as in libs/stream/src/stream-sql.ts: 7376 heads
 * (store exclusive, ack shared), 7377 receive (exclusive).
 */
export class StreamReceive1763930000000 implements MigrationInterface {
  name = 'StreamReceive1763930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE stream_messages SET not_visible_until = '-infinity' WHERE deliver_count > 0 AND not_visible_until IS NULL`,
    );
    await q.query(`
      CREATE TABLE stream_outstanding (
        sink_id uuid NOT NULL REFERENCES sinks(id) ON DELETE CASCADE,
        shard smallint NOT NULL,
        -- This shard's share of the count; a shard alone may be negative, the sum of a sink's is not.
        n integer NOT NULL,
        PRIMARY KEY (sink_id, shard)
      )`);
    await q.query(`
      INSERT INTO stream_outstanding (sink_id, shard, n)
      SELECT sink_id, 0, count(*) FROM stream_messages WHERE deliver_count > 0 GROUP BY sink_id`);
    await q.query(`DROP INDEX stream_messages_sink_heads`);
    await q.query(`DROP INDEX stream_messages_sink_visibility`);
    // Heads never handed out, in order: where new messages come from.
    await q.query(
      `CREATE INDEX stream_messages_new_heads ON stream_messages (sink_id, seq) WHERE is_head AND deliver_count = 0`,
    );
    // Handed out and not acked (always heads), by when they are due again: redeliveries first.
    await q.query(
      `CREATE INDEX stream_messages_outstanding ON stream_messages (sink_id, not_visible_until) WHERE deliver_count > 0`,
    );
    await q.query(RECEIVE_FUNCTION);
    await q.query(ACK_FUNCTION);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION sluice_stream_ack(uuid, uuid[], integer)`);
    await q.query(`DROP FUNCTION sluice_stream_receive(uuid, integer, integer, integer)`);
    await q.query(`DROP INDEX stream_messages_outstanding`);
    await q.query(`DROP INDEX stream_messages_new_heads`);
    await q.query(`CREATE INDEX stream_messages_sink_heads ON stream_messages (sink_id, seq) WHERE is_head`);
    await q.query(
      `CREATE INDEX stream_messages_sink_visibility ON stream_messages (sink_id, not_visible_until) WHERE not_visible_until IS NOT NULL`,
    );
    await q.query(`DROP TABLE stream_outstanding`);
    await q.query(`UPDATE stream_messages SET not_visible_until = NULL WHERE not_visible_until = '-infinity'`);
  }
}

/**
 * Claims up to p_batch messages: first redeliveries (handed out before, not acked, visibility over),
 * then the oldest new group heads, no more than p_max_ack_pending minus the outstanding count. Both
 * scans have the batch as their LIMIT; the room under max_ack_pending limits what is taken from the
 * new heads' scan, which is read lazily: rows beyond it are neither read nor locked.
 */
const RECEIVE_FUNCTION = `
  CREATE FUNCTION sluice_stream_receive(p_sink uuid, p_batch integer, p_visibility_ms integer, p_max_ack_pending integer)
  RETURNS TABLE (seq bigint, ack_id uuid, data text)
  LANGUAGE plpgsql
  SET plan_cache_mode = force_custom_plan
  AS $fn$
  #variable_conflict use_column
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_sink::text, 7377));
    RETURN QUERY
    WITH clock AS MATERIALIZED (
      SELECT clock_timestamp() AS now
    ), redeliveries AS MATERIALIZED (
      SELECT m.seq FROM stream_messages m
       WHERE m.sink_id = p_sink AND m.deliver_count > 0 AND m.not_visible_until <= (SELECT now FROM clock)
       ORDER BY m.not_visible_until
       LIMIT p_batch
       FOR UPDATE SKIP LOCKED
    ), room AS MATERIALIZED (
      SELECT GREATEST(0, LEAST(
               p_batch - (SELECT count(*) FROM redeliveries),
               p_max_ack_pending - (SELECT COALESCE(sum(o.n), 0) FROM stream_outstanding o WHERE o.sink_id = p_sink)
             )) AS n
    ), fresh AS MATERIALIZED (
      SELECT m.seq FROM stream_messages m
       WHERE m.sink_id = p_sink AND m.is_head AND m.deliver_count = 0
       ORDER BY m.seq
       LIMIT p_batch
       FOR UPDATE SKIP LOCKED
    ), chosen AS (
      SELECT r.seq FROM redeliveries r
      UNION ALL
      (SELECT f.seq FROM fresh f WHERE (SELECT n FROM room) > 0 LIMIT (SELECT n FROM room))
    ), claimed AS (
      UPDATE stream_messages s
         SET ack_id = gen_random_uuid(), deliver_count = s.deliver_count + 1,
             not_visible_until = k.now + make_interval(secs => p_visibility_ms::double precision / 1000), last_delivered_at = k.now
        FROM clock k, chosen
       WHERE s.seq = chosen.seq
      RETURNING s.seq, s.ack_id, s.data, s.deliver_count
    ), counted AS (
      INSERT INTO stream_outstanding AS o (sink_id, shard, n)
      SELECT p_sink, pg_backend_pid() % 32, count(*) FROM claimed WHERE deliver_count = 1 HAVING count(*) > 0
      ON CONFLICT (sink_id, shard) DO UPDATE SET n = o.n + EXCLUDED.n
    )
    SELECT claimed.seq, claimed.ack_id, claimed.data FROM claimed ORDER BY claimed.seq;
  END
  $fn$`;

/**
 * Deletes acked messages, makes the next message of each of their groups the head and lowers the
 * outstanding count. `wake`: whether receivers waiting on the sink may now find something (a group
 * moved on, or the sink was at max_ack_pending).
 */
const ACK_FUNCTION = `
  CREATE FUNCTION sluice_stream_ack(p_sink uuid, p_ack_ids uuid[], p_max_ack_pending integer)
  RETURNS TABLE (acked integer, wake boolean)
  LANGUAGE plpgsql
  AS $fn$
  #variable_conflict use_column
  BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtextextended(p_sink::text, 7376));
    RETURN QUERY
    WITH gone AS (
      DELETE FROM stream_messages WHERE ack_id = ANY(p_ack_ids) AND sink_id = p_sink
      RETURNING seq, group_id
    ), next_heads AS (
      SELECT n.seq FROM (SELECT DISTINCT g.group_id FROM gone g WHERE g.group_id IS NOT NULL) a
       CROSS JOIN LATERAL (
         SELECT m.seq FROM stream_messages m
          WHERE m.sink_id = p_sink AND m.group_id = a.group_id
            AND m.seq NOT IN (SELECT g.seq FROM gone g) -- the statement's snapshot still shows the deleted rows
          ORDER BY m.seq LIMIT 1
       ) n
    ), promoted AS (
      UPDATE stream_messages s SET is_head = true WHERE s.seq IN (SELECT seq FROM next_heads) RETURNING 1
    ), counted AS (
      INSERT INTO stream_outstanding AS o (sink_id, shard, n)
      SELECT p_sink, pg_backend_pid() % 32, -count(*) FROM gone HAVING count(*) > 0
      ON CONFLICT (sink_id, shard) DO UPDATE SET n = o.n + EXCLUDED.n
    )
    SELECT (SELECT count(*) FROM gone)::integer,
           (SELECT count(*) FROM promoted) > 0
           OR (SELECT COALESCE(sum(o.n), 0) FROM stream_outstanding o WHERE o.sink_id = p_sink) >= p_max_ack_pending;
  END
  $fn$`;
