import type { Pgoutput } from 'pg-logical-replication';
import type { PgTypeInfo } from '../encoding/pg-type.js';
import type { TableDescriptor } from '../messages/table-shape.js';

export interface RelationTableOptions {
  /** Primary key in its own column order, e.g. from the discovered tables; default: the replica identity columns. */
  primaryKey?: readonly string[];
  /** The table to attribute changes to, e.g. a partition's root; default: the relation's own name. */
  schema?: string;
  name?: string;
  /** Extra knowledge about a column type (domain base type, array element), e.g. from loadUserTypes. */
  typeInfo?: (oid: number) => PgTypeInfo | undefined;
}

export function tableFromRelation(
  relation: Pgoutput.MessageRelation,
  options: RelationTableOptions = {},
): TableDescriptor {
  return {
    schema: options.schema ?? relation.schema,
    name: options.name ?? relation.name,
    columns: relation.columns.map((column) => ({
      name: column.name,
      type: options.typeInfo?.(column.typeOid) ?? { oid: column.typeOid, name: column.typeName },
    })),
    primaryKey: options.primaryKey ?? relation.keyColumns,
  };
}

/** Whether pgoutput sends the whole old row for updates and deletes. */
export function hasFullReplicaIdentity(relation: Pgoutput.MessageRelation): boolean {
  return relation.replicaIdentity === 'full';
}
