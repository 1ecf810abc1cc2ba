import pg from 'pg';
import { attempt } from './source-problem.js';
import { REQUIRED_PLUGIN } from './source-readiness.js';

/** Identifiers are quoted, never interpolated raw; the slot name travels as a bind parameter. */
export function createPublication(client: pg.Client, name: string): Promise<void> {
  return attempt('publication_name', `could not create publication "${name}"`, async () => {
    await client.query(`CREATE PUBLICATION ${pg.escapeIdentifier(name)} FOR ALL TABLES`);
  });
}

/** Must run outside a transaction that has written (Postgres refuses otherwise): callers use autocommit. */
export function createSlot(client: pg.Client, name: string): Promise<void> {
  return attempt('slot_name', `could not create slot "${name}"`, async () => {
    await client.query('SELECT pg_create_logical_replication_slot($1, $2)', [name, REQUIRED_PLUGIN]);
  });
}

export async function dropPublication(client: pg.Client, name: string): Promise<void> {
  await client.query(`DROP PUBLICATION IF EXISTS ${pg.escapeIdentifier(name)}`);
}

export async function dropSlot(client: pg.Client, name: string): Promise<void> {
  await client.query(
    'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database()',
    [name],
  );
}
