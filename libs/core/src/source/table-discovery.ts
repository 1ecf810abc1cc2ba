import type pg from 'pg';
import type { DiscoveredTable } from '../entities/postgres-database.entity.js';
import { attempt } from './source-problem.js';

/** Postgres 15 added publication column lists (`pg_publication_tables.attnames`). */
const COLUMN_LISTS_SINCE = 150000;

/**
 * Published relations are mapped to their partition root: the reader attributes a partition's changes
 * to its root whatever the publication's publish_via_partition_root says (messages.md), so a sink is
 * scoped by the root's name. With column lists, a root shows the union of its published columns.
 */
const tablesQuery = (withColumnLists: boolean): string => `
  WITH published AS (
    SELECT coalesce(pg_partition_root(c.oid), c.oid) AS oid${withColumnLists ? ', pt.attnames' : ''}
      FROM pg_publication_tables pt
      JOIN pg_namespace n ON n.nspname = pt.schemaname
      JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename
     WHERE pt.pubname = $1),
  roots AS (
    SELECT oid${withColumnLists ? ', array_agg(DISTINCT attname) AS attnames' : ''}
      FROM published${withColumnLists ? ' LEFT JOIN LATERAL unnest(attnames) AS u(attname) ON true' : ''}
     GROUP BY oid)
  SELECT n.nspname AS schema,
         c.relname AS name,
         COALESCE((SELECT json_agg(a.attname ORDER BY k.position)
                     FROM pg_index i
                     CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                    WHERE i.indrelid = c.oid AND i.indisprimary), '[]') AS primary_key,
         COALESCE((SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum)
                     FROM pg_attribute a
                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                      ${withColumnLists ? 'AND a.attname = ANY (r.attnames)' : ''}), '[]') AS columns
    FROM roots r
    JOIN pg_class c ON c.oid = r.oid
    JOIN pg_namespace n ON n.oid = c.relnamespace
   ORDER BY n.nspname, c.relname`;

/**
 * The tables a publication publishes, partitions named by their root, with primary key columns in
 * key order and columns in attnum order.
 */
export function discoverTables(client: pg.Client, publicationName: string): Promise<DiscoveredTable[]> {
  return attempt('publication_name', `could not read the tables of publication "${publicationName}"`, async () => {
    const { rows: version } = await client.query<{ version: number }>(
      `SELECT current_setting('server_version_num')::int AS version`,
    );
    const { rows } = await client.query<DiscoveredTable>(tablesQuery(version[0]!.version >= COLUMN_LISTS_SINCE), [
      publicationName,
    ]);
    return rows.map(({ schema, name, primary_key, columns }) => ({ schema, name, primary_key, columns }));
  });
}
