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

interface ColumnRow {
  name: string;
  type_oid: string;
  type_name: string;
}

const TABLE_OID_SQL = `
  SELECT c.oid::int8::text AS oid
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`;

const COLUMNS_SQL = `
  SELECT a.attname AS name, a.atttypid::int8::text AS type_oid, t.typname AS type_name
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
   WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
   ORDER BY a.attnum`;

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

  /** A table by name, as a backfill reads it (no Relation message): its columns, primary key and types; null when missing. */
  async compileNamed(schema: string, name: string): Promise<CompiledTable | null> {
    const { rows: found } = await this.client.query<{ oid: string }>(TABLE_OID_SQL, [schema, name]);
    if (found.length === 0) return null;
    const oid = found[0]!.oid;
    const [{ rows: columns }, { rows: roots }] = await Promise.all([
      this.client.query<ColumnRow>(COLUMNS_SQL, [oid]),
      this.client.query<RootRow>(ROOT_SQL, [oid]),
    ]);
    const types = typeLookupFrom(
      await loadUserTypes(
        this.client,
        columns.map((c) => Number(c.type_oid)),
      ),
    );
    const descriptor = {
      schema,
      name,
      columns: columns.map((c) => {
        const typeOid = Number(c.type_oid);
        return { name: c.name, type: types(typeOid) ?? { oid: typeOid, name: c.type_name } };
      }),
      primaryKey: roots[0]?.primary_key ?? [],
    };
    return compileTable(descriptor, types);
  }
}
