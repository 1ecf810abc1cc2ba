import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Backfills: a sink's table read page by page (keyset order) and emitted as `read` messages. The
 * cursor (the keyset values of the last row delivered) is saved after each page, so a backfill
 * resumes where it was after a crash or restart.
 */
export class Backfills1763920000000 implements MigrationInterface {
  name = 'Backfills1763920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE backfills (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        sink_id uuid NOT NULL REFERENCES sinks(id) ON DELETE CASCADE,
        table_schema text NOT NULL,
        table_name text NOT NULL,
        state text NOT NULL DEFAULT 'active',
        sort_column text,
        start_position text,
        -- Keyset values (Postgres text form) of the last row delivered; null before the first page.
        cursor jsonb,
        rows_initial_count bigint,
        rows_processed_count bigint NOT NULL DEFAULT 0,
        rows_ingested_count bigint NOT NULL DEFAULT 0,
        error text,
        inserted_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        canceled_at timestamptz
      )`);
    await q.query(`CREATE INDEX backfills_account_sink ON backfills (account_id, sink_id, inserted_at)`);
    // One active (or paused) backfill per sink and table; the API turns a violation into a 422.
    await q.query(
      `CREATE UNIQUE INDEX backfills_one_running ON backfills (sink_id, table_schema, table_name)
        WHERE state IN ('active', 'paused')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE backfills`);
  }
}
