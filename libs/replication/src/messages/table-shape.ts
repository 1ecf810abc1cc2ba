import { encoderFor, type ValueEncoder } from '../encoding/encode-value.js';
import type { PgTypeInfo, TypeLookup } from '../encoding/pg-type.js';

export interface TableColumn {
  name: string;
  type: PgTypeInfo;
}

export interface TableDescriptor {
  /** The table changes are attributed to: for a partition, its root table. */
  schema: string;
  name: string;
  columns: readonly TableColumn[];
  /** Primary key column names in the key's own order (not column order); empty without a primary key. */
  primaryKey: readonly string[];
}

export interface CompiledColumn {
  readonly name: string;
  readonly encode: ValueEncoder;
}

/** A table with its value encoders built once, reused for every change until the next Relation message. */
export interface CompiledTable {
  readonly schema: string;
  readonly name: string;
  readonly columns: readonly CompiledColumn[];
  readonly primaryKey: readonly string[];
  /**
   * A column is named `__proto__`: its rows and records are objects without a prototype, where on a
   * plain object that name sets the prototype instead of a property (and the value was lost).
   */
  readonly protoColumn?: boolean;
}

export function compileTable(descriptor: TableDescriptor, lookup?: TypeLookup): CompiledTable {
  return {
    schema: descriptor.schema,
    name: descriptor.name,
    columns: descriptor.columns.map((column) => ({ name: column.name, encode: encoderFor(column.type, lookup) })),
    primaryKey: [...descriptor.primaryKey],
    protoColumn: descriptor.columns.some((c) => c.name === '__proto__'),
  };
}

/** An empty record (or row) for the table's columns (see protoColumn). */
export function emptyObjectFor(table: CompiledTable): Record<string, unknown> {
  return table.protoColumn === true ? (Object.create(null) as Record<string, unknown>) : {};
}
