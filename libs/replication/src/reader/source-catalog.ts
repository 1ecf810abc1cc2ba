import type pg from 'pg';
import type { Pgoutput } from 'pg-logical-replication';
import { loadUserTypes, typeLookupFrom } from '../encoding/user-type-catalog.js';
import { compileTable, type CompiledTable } from '../messages/table-shape.js';
import { tableFromRelation } from '../pgoutput/relation-table.js';

interface RootRow {
  schema: string;
  name: string;
  primary_key: string[] | null;
}

/** The root of a partition (or the table itself) and the root's primary key in key order. */
const ROOT_SQL = `
  SELECT n.nspname AS schema, c.relname AS name,
         (SELECT array_agg(a.attname::text ORDER BY k.ord)
            FROM pg_index i
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
           WHERE i.indrelid = c.oid AND i.indisprimary) AS primary_key
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.oid = coalesce(pg_partition_root($1::oid), $1::oid)`;

/**
 * What pgoutput's Relation message does not say, read from the source's catalog over an ordinary
 * connection: which root table a partition belongs to, the real primary key (the replica identity
 * is every column under REPLICA IDENTITY FULL), and user-defined types (enums, domains).
 */
export class SourceCatalog {
  constructor(private readonly client: pg.Client) {}

  async compile(relation: Pgoutput.MessageRelation): Promise<CompiledTable> {
    const { rows } = await this.client.query<RootRow>(ROOT_SQL, [relation.relationOid]);
    const root = rows[0];
    const types = typeLookupFrom(
      await loadUserTypes(
        this.client,
        relation.columns.map((c) => c.typeOid),
      ),
    );
    const descriptor = tableFromRelation(relation, {
      schema: root?.schema,
      name: root?.name,
      primaryKey: root ? (root.primary_key ?? []) : undefined,
      typeInfo: types,
    });
    return compileTable(descriptor, types);
  }
}
