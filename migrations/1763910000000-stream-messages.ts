import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sequin Stream (pull) sinks: messages stored in the metadata Postgres, claimed by /receive.
 * stream_cursors keeps, per sink, the position of the newest change ever stored, so a change replayed
 * by the slot after a crash is recognised and not stored again even if it was acked (deleted) since.
 */
export class StreamMessages1763910000000 implements MigrationInterface {
  name = 'StreamMessages1763910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE stream_messages (
        seq bigserial PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        sink_id uuid NOT NULL REFERENCES sinks(id) ON DELETE CASCADE,
        idempotency_key text NOT NULL,
        group_id text,
        commit_lsn bigint NOT NULL,
        commit_idx integer NOT NULL,
        data text NOT NULL,
        -- The oldest unacked message of its group (always true without a group): the only one receivable.
        is_head boolean NOT NULL,
        ack_id uuid,
        deliver_count integer NOT NULL DEFAULT 0,
        not_visible_until timestamptz,
        last_delivered_at timestamptz,
        inserted_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX stream_messages_sink_seq ON stream_messages (sink_id, seq)`);
    await q.query(
      `CREATE INDEX stream_messages_sink_group ON stream_messages (sink_id, group_id, seq) WHERE group_id IS NOT NULL`,
    );
    // Receive reads only group heads, in order: its cost follows the batch, not the backlog.
    await q.query(`CREATE INDEX stream_messages_sink_heads ON stream_messages (sink_id, seq) WHERE is_head`);
    await q.query(`CREATE UNIQUE INDEX stream_messages_ack_id ON stream_messages (ack_id) WHERE ack_id IS NOT NULL`);
    // Outstanding messages (for max_ack_pending) are found without scanning the whole backlog.
    await q.query(
      `CREATE INDEX stream_messages_sink_visibility ON stream_messages (sink_id, not_visible_until) WHERE not_visible_until IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE stream_cursors (
        sink_id uuid PRIMARY KEY REFERENCES sinks(id) ON DELETE CASCADE,
        commit_lsn bigint NOT NULL,
        commit_idx integer NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE stream_cursors`);
    await q.query(`DROP TABLE stream_messages`);
  }
}
