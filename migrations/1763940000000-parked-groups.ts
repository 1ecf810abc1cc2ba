import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Parked groups: a Redis String sink moves a poisoned group's messages into parked_messages and
 * retries them from there head by head. Messages stored behind a failing head that were never tried
 * are `pending`; the head lookup wants the group's oldest live record. The envelope becomes json:
 * jsonb reorders keys, and a message delivered from the store must be the message that was built.
 */
export class ParkedGroups1763940000000 implements MigrationInterface {
  name = 'ParkedGroups1763940000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE parked_messages ALTER COLUMN data TYPE json USING data::json`);
    await q.query(`ALTER TABLE parked_messages DROP CONSTRAINT parked_messages_state_check`);
    await q.query(
      `ALTER TABLE parked_messages ADD CONSTRAINT parked_messages_state_check CHECK (state IN ('pending', 'failing', 'dead'))`,
    );
    await q.query(
      `CREATE INDEX parked_messages_sink_group ON parked_messages (sink_id, group_id, commit_lsn, commit_idx)
        WHERE state <> 'dead'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE parked_messages ALTER COLUMN data TYPE jsonb USING data::jsonb`);
    await q.query(`DROP INDEX parked_messages_sink_group`);
    await q.query(`DELETE FROM parked_messages WHERE state = 'pending'`);
    await q.query(`ALTER TABLE parked_messages DROP CONSTRAINT parked_messages_state_check`);
    await q.query(
      `ALTER TABLE parked_messages ADD CONSTRAINT parked_messages_state_check CHECK (state IN ('failing', 'dead'))`,
    );
  }
}
