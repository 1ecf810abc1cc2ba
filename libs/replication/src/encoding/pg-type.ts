import {
  BUILTIN_ARRAY_DELIMITERS,
  BUILTIN_ARRAY_ELEMENTS,
  BUILTIN_SCALAR_KINDS,
  type ScalarKind,
} from './builtin-types.js';

/**
 * A column's type as the caller knows it: at least the OID (from the Relation message). For user
 * types the caller may add what pg_type says: a domain's base type, an array's element type.
 */
export interface PgTypeInfo {
  oid: number;
  name?: string | null;
  /** Domains: pg_type.typbasetype. */
  baseOid?: number;
  /** Arrays: pg_type.typelem. */
  elementOid?: number;
  /** pg_type.typdelim: the separator of this type's elements inside an array literal. */
  delimiter?: string;
}

/** Extra knowledge about non-built-in OIDs, e.g. loaded from pg_type. */
export type TypeLookup = (oid: number) => PgTypeInfo | undefined;

export type ResolvedType =
  | { readonly kind: ScalarKind }
  | { readonly kind: 'array'; readonly element: ResolvedType; readonly delimiter: string };

const MAX_TYPE_DEPTH = 16;

export function resolveType(type: PgTypeInfo, lookup?: TypeLookup): ResolvedType {
  return resolveAt(type, lookup, 0);
}

function resolveAt(type: PgTypeInfo, lookup: TypeLookup | undefined, depth: number): ResolvedType {
  if (depth > MAX_TYPE_DEPTH) return TEXT;
  const scalar = BUILTIN_SCALAR_KINDS.get(type.oid);
  if (scalar !== undefined) return scalarType(scalar);
  const builtinElement = BUILTIN_ARRAY_ELEMENTS.get(type.oid);
  if (builtinElement !== undefined) return arrayOf(builtinElement, lookup, depth);
  if (type.baseOid !== undefined && type.baseOid !== 0)
    return resolveAt(infoFor(type.baseOid, lookup), lookup, depth + 1);
  if (type.elementOid !== undefined && type.elementOid !== 0) return arrayOf(type.elementOid, lookup, depth);
  const known = lookup?.(type.oid);
  if (known !== undefined && known !== type) return resolveAt(known, lookup, depth + 1);
  return TEXT;
}

function arrayOf(elementOid: number, lookup: TypeLookup | undefined, depth: number): ResolvedType {
  const elementInfo = infoFor(elementOid, lookup);
  return {
    kind: 'array',
    element: resolveAt(elementInfo, lookup, depth + 1),
    delimiter: elementInfo.delimiter ?? BUILTIN_ARRAY_DELIMITERS.get(elementOid) ?? ',',
  };
}

function infoFor(oid: number, lookup: TypeLookup | undefined): PgTypeInfo {
  return lookup?.(oid) ?? { oid };
}

const TEXT: ResolvedType = { kind: 'text' };
const SCALARS = new Map<ScalarKind, ResolvedType>();

function scalarType(kind: ScalarKind): ResolvedType {
  let resolved = SCALARS.get(kind);
  if (resolved === undefined) {
    resolved = { kind };
    SCALARS.set(kind, resolved);
  }
  return resolved;
}
