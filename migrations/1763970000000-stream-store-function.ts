import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Sequin Stream store becomes one round trip: sluice_stream_store takes the sink's heads lock and
 * stores the batch in one call, where the worker sent BEGIN, the lock, the statement and COMMIT one
 * after the other. A sink's stores run one at a time, and each round trip waited for the worker's busy
 * event loop to read its answer: in the fan-out bench, 26 ms for BEGIN and the lock and 9 ms for
 * COMMIT around an 83 ms statement of 2,000 messages. The statement is the one the worker sent before.
 */
export class StreamStoreFunction1763970000000 implements MigrationInterface {
  name = 'StreamStoreFunction1763970000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(STORE_FUNCTION);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION sluice_stream_store(uuid, uuid, json, text)`);
  }
}

/**
 * Stores the messages newer than the sink's cursor and moves the cursor, under the sink's heads lock
 * (exclusive: an ack hands a group's head over under it in shared mode). p_input is a JSON array of
 * `[idempotency_key, group_id, commit_lsn, commit_idx]`, p_data the messages' JSON texts joined by
 * U+001E in the same order; when p_data is null, each entry of p_input has its message as a fifth
 * element. The statement runs after the lock, so its snapshot shows every store committed before.
 *
 * A generic plan: planned for its values, the statement cost 40 ms of backend CPU per 1,000 messages
 * instead of 25 (it has megabytes of parameters; timed on a scratch database). The generic plan
 * probes the (sink_id, group_id, seq) index whatever the sink holds (25 ms per 1,000 with 650k rows),
 * also when it is made on an empty, never analysed table (EXPLAIN of the prepared statement), as a
 * connection's first store makes it; an ANALYZE of the table makes it again.
 */
export const STORE_FUNCTION = `
  CREATE FUNCTION sluice_stream_store(p_account uuid, p_sink uuid, p_input json, p_data text)
  RETURNS integer
  LANGUAGE plpgsql
  SET plan_cache_mode = force_generic_plan
  AS $fn$
  DECLARE
    v_stored integer;
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_sink::text, 7376));
    WITH input AS (
      SELECT e->>0 AS idempotency_key, e->>1 AS group_id, (e->>2)::bigint AS commit_lsn, (e->>3)::int AS commit_idx,
             COALESCE(t.data, e->>4) AS data, t.ord
        FROM unnest(ARRAY(SELECT j.e FROM json_array_elements(p_input) WITH ORDINALITY AS j(e, n) ORDER BY j.n),
                    string_to_array(p_data, E'\\x1e'))
             WITH ORDINALITY AS t(e, data, ord)
    ), cursor AS (
      SELECT c.commit_lsn, c.commit_idx FROM stream_cursors c WHERE c.sink_id = p_sink
    ), fresh AS (
      SELECT i.* FROM input i LEFT JOIN cursor c ON true
       WHERE c.commit_lsn IS NULL OR (i.commit_lsn, i.commit_idx) > (c.commit_lsn, c.commit_idx)
    ), firsts AS (
      SELECT f.*, f.ord = min(f.ord) OVER (PARTITION BY f.group_id) AS first_in_batch FROM fresh f
    ), headed AS (
      -- One index probe per group new in the batch. (As NOT EXISTS, the planner chose, with 20k messages
      -- stored, to scan every stored message of the sink once per batch.)
      SELECT fi.*, fi.group_id IS NULL OR (fi.first_in_batch AND stored_before.found IS NULL) AS is_head
        FROM firsts fi
        LEFT JOIN LATERAL (
          SELECT true AS found FROM stream_messages e
           WHERE fi.first_in_batch AND e.sink_id = p_sink AND e.group_id = fi.group_id
           LIMIT 1
        ) stored_before ON true
    ), stored AS (
      INSERT INTO stream_messages (account_id, sink_id, idempotency_key, group_id, commit_lsn, commit_idx, data, is_head)
      SELECT p_account, p_sink, h.idempotency_key, h.group_id, h.commit_lsn, h.commit_idx, h.data, h.is_head
        FROM headed h ORDER BY h.ord
      RETURNING 1
    ), moved AS ( -- runs to completion although nothing reads it, as every data-modifying WITH does
      INSERT INTO stream_cursors AS sc (sink_id, commit_lsn, commit_idx)
      SELECT p_sink, i.commit_lsn, i.commit_idx FROM input i ORDER BY i.commit_lsn DESC, i.commit_idx DESC LIMIT 1
      ON CONFLICT (sink_id) DO UPDATE SET commit_lsn = EXCLUDED.commit_lsn, commit_idx = EXCLUDED.commit_idx
       WHERE (EXCLUDED.commit_lsn, EXCLUDED.commit_idx) > (sc.commit_lsn, sc.commit_idx)
    )
    SELECT count(*)::integer INTO v_stored FROM stored;
    RETURN v_stored;
  END
  $fn$`;
