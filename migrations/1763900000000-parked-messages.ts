import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Push-sink messages in trouble: failing (still retried by the reader) and dead-lettered. */
export class ParkedMessages1763900000000 implements MigrationInterface {
  name = 'ParkedMessages1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE parked_messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        sink_id uuid NOT NULL REFERENCES sinks(id) ON DELETE CASCADE,
        idempotency_key text NOT NULL,
        state text NOT NULL CHECK (state IN ('failing', 'dead')),
        group_id text,
        commit_lsn bigint NOT NULL,
        commit_idx integer NOT NULL,
        deliver_count integer NOT NULL,
        last_error text,
        not_visible_until timestamptz,
        data jsonb NOT NULL,
        inserted_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (sink_id, idempotency_key)
      )`);
    await q.query(
      `CREATE INDEX parked_messages_sink_state ON parked_messages (sink_id, state, commit_lsn, commit_idx)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE parked_messages`);
  }
}
