import type { MigrationInterface, QueryRunner } from 'typeorm';
import { STORE_FUNCTION } from './1763970000000-stream-store-function.js';

/**
 * stream_messages loses its foreign key to sinks, as it lost the one to accounts (1763950000000):
 * its check was a trigger call per stored message, 3–4 µs of the store's 20–25 µs of backend CPU per
 * message (100k-row inserts into copies of the table on a scratch database, with and without it).
 * What the key did is kept, once per sink and batch instead of once per message:
 * - a store locks its sink's row as the key's check did (FOR KEY SHARE), once, after its heads lock,
 *   and fails as the check did (SQLSTATE 23503) when the sink is gone. A deletion thus waits for a
 *   store in flight, and a store waits for a deletion in flight and then finds the sink gone;
 * - deleting a sink deletes its messages, in a BEFORE DELETE trigger on sinks: it runs once the row is
 *   locked (after any store in flight committed), with a snapshot taken then (in READ COMMITTED, which
 *   Sluice uses; a REPEATABLE READ deletion would miss a store that committed after its snapshot). It
 *   runs before the other keys' cascades, as the key's cascade did (the oldest trigger, fired first):
 *   deleting stream_outstanding's rows before the messages would deadlock with an ack or receive,
 *   which lock messages and then their outstanding shard.
 */
export class StreamMessagesSinkFk1763980000000 implements MigrationInterface {
  name = 'StreamMessagesSinkFk1763980000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE stream_messages DROP CONSTRAINT stream_messages_sink_id_fkey`);
    await q.query(DELETE_MESSAGES_FUNCTION);
    await q.query(`
      CREATE TRIGGER sinks_delete_stream_messages BEFORE DELETE ON sinks
      FOR EACH ROW EXECUTE FUNCTION sluice_delete_stream_messages()`);
    await q.query(storeFunctionCheckingTheSink());
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(STORE_FUNCTION.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'));
    await q.query(`DROP TRIGGER sinks_delete_stream_messages ON sinks`);
    await q.query(`DROP FUNCTION sluice_delete_stream_messages()`);
    await q.query(
      `ALTER TABLE stream_messages ADD CONSTRAINT stream_messages_sink_id_fkey
         FOREIGN KEY (sink_id) REFERENCES sinks(id) ON DELETE CASCADE`,
    );
  }
}

const DELETE_MESSAGES_FUNCTION = `
  CREATE FUNCTION sluice_delete_stream_messages() RETURNS trigger
  LANGUAGE plpgsql
  AS $fn$
  BEGIN
    DELETE FROM stream_messages WHERE sink_id = OLD.id;
    RETURN OLD;
  END
  $fn$`;

const TAKE_LOCK = `PERFORM pg_advisory_xact_lock(hashtextextended(p_sink::text, 7376));`;

/** sluice_stream_store of 1763970000000, locking its sink's row after its heads lock. */
function storeFunctionCheckingTheSink(): string {
  if (!STORE_FUNCTION.includes(TAKE_LOCK)) throw new Error('sluice_stream_store no longer takes its lock as expected');
  return STORE_FUNCTION.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION').replace(
    TAKE_LOCK,
    `${TAKE_LOCK}
    PERFORM 1 FROM sinks WHERE id = p_sink FOR KEY SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'sink % does not exist', p_sink USING ERRCODE = 'foreign_key_violation';
    END IF;`,
  );
}
