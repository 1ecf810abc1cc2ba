import type pg from 'pg';
import type { DiscoveredTable } from '../entities/postgres-database.entity.js';
import { type SourceConnectionParams, SOURCE_QUERY_TIMEOUT_MS, withSourceClient } from './source-connection.js';
import { connectionProblem, sourceProblem } from './source-problem.js';
import { readSourceFacts, readinessProblem, type ReplicationTarget } from './source-readiness.js';
import { createPublication, createSlot, dropPublication, dropSlot } from './source-setup.js';
import { discoverTables } from './table-discovery.js';

export interface SetupOptions {
  createPublicationIfMissing?: boolean;
  createSlotIfMissing?: boolean;
}

/** What prepareSource created, so a caller whose own save fails can undo exactly that. */
export interface CreatedObjects {
  publication: boolean;
  slot: boolean;
}

export interface PreparedSource {
  tables: DiscoveredTable[];
  created: CreatedObjects;
}

/**
 * Server-side, and below the client's query timeout, so a slow statement (slot creation waits for
 * running transactions) is cancelled by Postgres rather than abandoned and completed later unseen.
 */
const STATEMENT_TIMEOUT_MS = SOURCE_QUERY_TIMEOUT_MS - 2000;

/** Every failure, connecting included, leaves as a SourceProblemError. */
function onSource<T>(params: SourceConnectionParams, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withSourceClient(params, fn, { statement_timeout: STATEMENT_TIMEOUT_MS }).catch((error: unknown) => {
    throw connectionProblem(error);
  });
}

/** Connects and checks everything replication needs: wal_level, permission, publication, slot. */
export function checkSource(params: SourceConnectionParams, target: ReplicationTarget): Promise<void> {
  return onSource(params, async (client) => {
    const problem = readinessProblem(await readSourceFacts(client, target), target);
    if (problem) throw problem;
  });
}

/**
 * Checks the source, creates the publication (first) and the slot when allowed and missing, and
 * reads the publication's tables. Nothing is created unless every check passes; on a later failure
 * what was created is dropped again.
 */
export function prepareSource(
  params: SourceConnectionParams,
  target: ReplicationTarget,
  options: SetupOptions = {},
): Promise<PreparedSource> {
  return onSource(params, async (client) => {
    const facts = await readSourceFacts(client, target);
    const allowMissing = { publication: options.createPublicationIfMissing, slot: options.createSlotIfMissing };
    const problem = readinessProblem(facts, target, allowMissing);
    if (problem) throw problem;
    const created: CreatedObjects = { publication: false, slot: false };
    try {
      if (!facts.publicationExists) {
        await createPublication(client, target.publicationName);
        created.publication = true;
      }
      if (facts.slot === null) {
        await createSlot(client, target.slotName);
        created.slot = true;
      }
      return { tables: await discoverTables(client, target.publicationName), created };
    } catch (error) {
      await undoSourceSetup(params, target, created);
      throw error;
    }
  });
}

/** Re-reads the publication's tables; a publication that no longer exists is a problem, not []. */
export function readSourceTables(params: SourceConnectionParams, publicationName: string): Promise<DiscoveredTable[]> {
  return onSource(params, async (client) => {
    const { rows } = await client.query<{ database: string; exists: boolean }>(
      'SELECT current_database() AS database, EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1) AS exists',
      [publicationName],
    );
    const { database, exists } = rows[0]!;
    if (!exists)
      throw sourceProblem(
        'publication_name',
        `publication "${publicationName}" does not exist in database "${database}"`,
      );
    return discoverTables(client, publicationName);
  });
}

/**
 * Best effort, on a fresh connection (the failed one may be broken): a slot left behind would pin
 * the source's WAL forever.
 */
export async function undoSourceSetup(
  params: SourceConnectionParams,
  target: ReplicationTarget,
  created: CreatedObjects,
): Promise<void> {
  if (!created.publication && !created.slot) return;
  await withSourceClient(params, async (client) => {
    if (created.slot) await dropSlot(client, target.slotName);
    if (created.publication) await dropPublication(client, target.publicationName);
  }).catch(() => undefined);
}
