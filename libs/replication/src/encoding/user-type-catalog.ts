import { BUILTIN_ARRAY_ELEMENTS, BUILTIN_SCALAR_KINDS } from './builtin-types.js';
import type { PgTypeInfo, TypeLookup } from './pg-type.js';

/** The part of a `pg` Client/Pool this needs. */
export interface TypeCatalogQueryable {
  query<R extends object>(sql: string, params: unknown[]): Promise<{ rows: R[] }>;
}

interface PgTypeRow {
  oid: string;
  name: string;
  base_oid: string;
  element_oid: string;
  delimiter: string;
}

// Only varlena types of category 'A' are real arrays: fixed-size types like point also have a typelem.
const PG_TYPE_SQL = `
  SELECT t.oid::int8::text AS oid, t.typname AS name,
         CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE 0 END::int8::text AS base_oid,
         CASE WHEN t.typcategory = 'A' AND t.typlen = -1 THEN t.typelem ELSE 0 END::int8::text AS element_oid,
         t.typdelim::text AS delimiter
    FROM pg_type t
   WHERE t.oid = ANY($1::oid[])`;

const MAX_ROUNDS = 8;

/** OIDs below FirstGenbkiObjectId (10000) are fixed at initdb; a few built-in domains lie above it. */
export function isBuiltinType(oid: number): boolean {
  return oid < 10_000 || BUILTIN_SCALAR_KINDS.has(oid) || BUILTIN_ARRAY_ELEMENTS.has(oid);
}

/**
 * Reads pg_type for user-defined OIDs (enums, domains, arrays of them), following domain base types
 * and array element types, so that resolveType can encode a domain over int4 as a number and an
 * enum[] as an array.
 */
export async function loadUserTypes(
  client: TypeCatalogQueryable,
  oids: Iterable<number>,
): Promise<Map<number, PgTypeInfo>> {
  const types = new Map<number, PgTypeInfo>();
  let pending = [...new Set(oids)].filter((oid) => !isBuiltinType(oid));
  for (let round = 0; pending.length > 0 && round < MAX_ROUNDS; round++) {
    const { rows } = await client.query<PgTypeRow>(PG_TYPE_SQL, [pending]);
    const referenced: number[] = [];
    for (const row of rows) {
      const info = toTypeInfo(row);
      types.set(info.oid, info);
      for (const next of [info.baseOid, info.elementOid]) {
        if (next !== undefined && !isBuiltinType(next) && !types.has(next)) referenced.push(next);
      }
    }
    pending = referenced;
  }
  return types;
}

export function typeLookupFrom(types: ReadonlyMap<number, PgTypeInfo>): TypeLookup {
  return (oid) => types.get(oid);
}

function toTypeInfo(row: PgTypeRow): PgTypeInfo {
  const info: PgTypeInfo = { oid: Number(row.oid), name: row.name, delimiter: row.delimiter };
  const baseOid = Number(row.base_oid);
  const elementOid = Number(row.element_oid);
  if (baseOid !== 0) info.baseOid = baseOid;
  if (elementOid !== 0) info.elementOid = elementOid;
  return info;
}
