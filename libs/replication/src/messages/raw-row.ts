/**
 * A row as pgoutput sends it: column name → Postgres' text form, null for SQL NULL, undefined for an
 * unchanged TOAST value ('u') that could not be filled in from the old row.
 */
export type RawRow = Readonly<Record<string, string | null | undefined>>;
