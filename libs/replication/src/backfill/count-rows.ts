import pg from 'pg';
import { type PageShape, shapeConditions } from './page-query.js';

/** Tables estimated above this many rows get the estimate as their initial count, not a full count. */
const EXACT_COUNT_LIMIT = 1_000_000;

/** The planner's row estimate, summed over a partitioned table's leaves; 0 when never analysed. */
const ESTIMATE_SQL = `
  SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::float8 AS estimate
    FROM pg_partition_tree(format('%I.%I', $1::text, $2::text)::regclass) p
    JOIN pg_class c ON c.oid = p.relid
   WHERE p.isleaf`;

/**
 * rows_initial_count: exact for small tables, the planner's estimate for large ones; null when the
 * table looks small (never analysed) but is too big to count within the statement timeout.
 */
export async function countRows(
  client: pg.Client,
  shape: PageShape,
  startPosition: string | null,
): Promise<number | null> {
  const { rows } = await client.query<{ estimate: number }>(ESTIMATE_SQL, [shape.schema, shape.table]);
  const estimate = rows[0]?.estimate ?? 0;
  if (estimate > EXACT_COUNT_LIMIT) return Math.round(estimate);
  const table = `${pg.escapeIdentifier(shape.schema)}.${pg.escapeIdentifier(shape.table)}`;
  const conditions = shapeConditions(shape, 1);
  const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
  try {
    const { rows: counted } = await client.query<{ count: string }>(
      `SELECT count(*)::text AS count FROM ${table}${where}`,
      shape.startColumn === null ? [] : [startPosition],
    );
    return Number(counted[0]!.count);
  } catch (error) {
    if ((error as { code?: unknown }).code === '57014') return null; // statement timeout
    throw error;
  }
}
