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
  generated: boolean;
}

/** A table as a backfill reads it: the columns pgoutput would send, and the publication's row filter. */
export interface PublishedTable {
  table: CompiledTable;
  /** The publication's WHERE for this table (Postgres 15+), as Postgres prints it; null for none. */
  rowFilter: string | null;
}

const TABLE_OID_SQL = `
  SELECT c.oid::int8::text AS oid
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`;

const COLUMNS_SQL = `
  SELECT a.attname AS name, a.atttypid::int8::text AS type_oid, t.typname AS type_name,
         a.attgenerated <> '' AS generated
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
   WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
   ORDER BY a.attnum`;

/**
 * The publication's column list and row filter for a table (Postgres 15+). attnames is every column
 * when there is no list: generated ones too on 15, which pgoutput sends only from 18 on (and then
 * lists here only when published). No row: the table is not published as such (a partition root
 * published through its leaves): every column that is not generated, no filter.
 */
const PUBLISHED_SQL = `
  SELECT attnames::text[] AS attnames, rowfilter
    FROM pg_publication_tables
   WHERE pubname = $1 AND schemaname = $2 AND tablename = $3`;

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

  /**
   * A table by name, as a backfill reads it (no Relation message): the columns `publication` sends
   * of it, its primary key and types, and the publication's row filter; null when missing. Reads
   * then carry what its changes carry.
   */
  async compileNamed(schema: string, name: string, publication: string): Promise<PublishedTable | null> {
    const { rows: found } = await this.client.query<{ oid: string }>(TABLE_OID_SQL, [schema, name]);
    if (found.length === 0) return null;
    const oid = found[0]!.oid;
    // One after another: node-pg deprecates a query sent to a busy client (removed in pg 9).
    const { rows: allColumns } = await this.client.query<ColumnRow>(COLUMNS_SQL, [oid]);
    const { rows: roots } = await this.client.query<RootRow>(ROOT_SQL, [oid]);
    const published = await this.published(schema, name, publication);
    const listed = published?.attnames ?? null;
    const columns = allColumns.filter((c) =>
      listed === null ? !c.generated : listed.includes(c.name) && (!c.generated || published!.generatedSent),
    );
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
    return { table: compileTable(descriptor, types), rowFilter: published?.rowfilter ?? null };
  }

  private async published(
    schema: string,
    name: string,
    publication: string,
  ): Promise<{ attnames: string[]; rowfilter: string | null; generatedSent: boolean } | null> {
    const { rows } = await this.client.query<{ version: number }>(
      `SELECT current_setting('server_version_num')::int AS version`,
    );
    const version = rows[0]!.version;
    if (version < 150_000) return null; // no column lists or row filters before 15
    const { rows: published } = await this.client.query<{ attnames: string[]; rowfilter: string | null }>(
      PUBLISHED_SQL,
      [publication, schema, name],
    );
    return published[0] ? { ...published[0], generatedSent: version >= 180_000 } : null;
  }
}
