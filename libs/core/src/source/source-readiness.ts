import type pg from 'pg';
import { attempt, sourceProblem, type SourceProblemError } from './source-problem.js';

export interface ReplicationTarget {
  publicationName: string;
  slotName: string;
}

export interface SlotFacts {
  /** null for a physical slot. */
  database: string | null;
  plugin: string | null;
  slotType: 'logical' | 'physical';
}

/** What the source says about itself, read in one round trip. */
export interface SourceFacts {
  database: string;
  username: string;
  walLevel: string;
  canReplicate: boolean;
  publicationExists: boolean;
  /** The slot of that name anywhere on the server (slots are server-wide), or null. */
  slot: SlotFacts | null;
}

/** Missing objects that are acceptable because the caller is about to create them. */
export interface AllowedMissing {
  publication?: boolean;
  slot?: boolean;
}

export const REQUIRED_PLUGIN = 'pgoutput';

export async function readSourceFacts(client: pg.Client, target: ReplicationTarget): Promise<SourceFacts> {
  return attempt('hostname', 'could not inspect the source', async () => {
    const { rows } = await client.query<{
      database: string;
      username: string;
      wal_level: string;
      can_replicate: boolean | null;
      publication_exists: boolean;
      slot: { database: string | null; plugin: string | null; slot_type: 'logical' | 'physical' } | null;
    }>(
      `SELECT current_database() AS database,
              current_user AS username,
              current_setting('wal_level') AS wal_level,
              (SELECT rolsuper OR rolreplication FROM pg_roles WHERE rolname = current_user) AS can_replicate,
              EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1) AS publication_exists,
              (SELECT json_build_object('database', database, 'plugin', plugin, 'slot_type', slot_type)
                 FROM pg_replication_slots WHERE slot_name = $2) AS slot`,
      [target.publicationName, target.slotName],
    );
    const row = rows[0]!;
    return {
      database: row.database,
      username: row.username,
      walLevel: row.wal_level,
      canReplicate: row.can_replicate === true,
      publicationExists: row.publication_exists,
      slot: row.slot && { database: row.slot.database, plugin: row.slot.plugin, slotType: row.slot.slot_type },
    };
  });
}

/**
 * The first reason the source cannot be replicated from with this publication and slot, or null.
 * Pure, so every rule can be tested without a server configured to break it.
 */
export function readinessProblem(
  facts: SourceFacts,
  target: ReplicationTarget,
  allowMissing: AllowedMissing = {},
): SourceProblemError | null {
  const { publicationName: publication, slotName: slot } = target;
  if (facts.walLevel !== 'logical') {
    return sourceProblem(
      'hostname',
      `wal_level is "${facts.walLevel}" on this server; logical replication needs wal_level = logical`,
    );
  }
  if (!facts.canReplicate) {
    return sourceProblem(
      'username',
      `user "${facts.username}" may not replicate: it needs the REPLICATION attribute or superuser`,
    );
  }
  if (!facts.publicationExists && !allowMissing.publication) {
    return sourceProblem(
      'publication_name',
      `publication "${publication}" does not exist in database "${facts.database}"`,
    );
  }
  if (facts.slot === null) {
    return allowMissing.slot
      ? null
      : sourceProblem('slot_name', `slot "${slot}" does not exist in database "${facts.database}"`);
  }
  if (facts.slot.slotType !== 'logical') {
    return sourceProblem('slot_name', `slot "${slot}" is a physical slot; a logical ${REQUIRED_PLUGIN} slot is needed`);
  }
  if (facts.slot.database !== facts.database) {
    return sourceProblem(
      'slot_name',
      `slot "${slot}" belongs to database "${facts.slot.database}", not to "${facts.database}"`,
    );
  }
  if (facts.slot.plugin !== REQUIRED_PLUGIN) {
    return sourceProblem(
      'slot_name',
      `slot "${slot}" uses the "${facts.slot.plugin}" plugin; it must use "${REQUIRED_PLUGIN}"`,
    );
  }
  return null;
}
