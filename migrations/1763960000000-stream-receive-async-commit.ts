import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * sluice_stream_receive commits its claim without waiting for the WAL flush (synchronous_commit off
 * for its own transaction only). Receives run one at a time per sink (the receive lock keeps
 * max_ack_pending across API processes), and a transaction's advisory lock is released only after
 * its commit: with a synchronous commit, every receive held the lock through an fsync, so a sink's
 * receives queued behind each other's disk flushes.
 *
 * Losing a claim loses nothing: a crash of the metadata Postgres can forget the last claims (their
 * deliver_count, ack id and outstanding count together, since they are one transaction), and those
 * messages are handed out again with new ack ids, the old ones ignored as stale — a duplicate after
 * a crash, as at-least-once allows. An ack still commits synchronously (an acked message is never
 * delivered again), and its flush covers every claim committed before it.
 */
export class StreamReceiveAsyncCommit1763960000000 implements MigrationInterface {
  name = 'StreamReceiveAsyncCommit1763960000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(receiveFunction(`PERFORM set_config('synchronous_commit', 'off', true);`));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(receiveFunction(''));
  }
}

/** As migration 1763930000000 created it, with `prelude` first in its body. */
function receiveFunction(prelude: string): string {
  return `
  CREATE OR REPLACE FUNCTION sluice_stream_receive(p_sink uuid, p_batch integer, p_visibility_ms integer, p_max_ack_pending integer)
  RETURNS TABLE (seq bigint, ack_id uuid, data text)
  LANGUAGE plpgsql
  SET plan_cache_mode = force_custom_plan
  AS $fn$
  #variable_conflict use_column
  BEGIN
    ${prelude}
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
}
