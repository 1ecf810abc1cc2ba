/** A running backfill as a reader needs it, read from the metadata database. */
export interface LoadedBackfill {
  id: string;
  sinkId: string;
  schema: string;
  table: string;
  state: 'active' | 'paused';
  /** Pages follow this column, then the primary key; null: the primary key alone. */
  sortColumn: string | null;
  /** With sortColumn: only rows whose sort column is at least this (Postgres text form). */
  startPosition: string | null;
  /** Keyset values (text form) of the last row delivered; null before the first page. */
  cursor: string[] | null;
  rowsInitialCount: number | null;
}

/** What one delivered page adds to a backfill. */
export interface BackfillPageProgress {
  cursor: string[];
  rowsProcessed: number;
  rowsIngested: number;
}

/** Where a reader reads running backfills and records their progress (the metadata database). */
export interface BackfillStore {
  /** Active and paused backfills of the reader's sinks. */
  load(): Promise<LoadedBackfill[]>;
  setInitialCount(backfillId: string, count: number): Promise<void>;
  recordPage(backfillId: string, progress: BackfillPageProgress): Promise<void>;
  complete(backfillId: string): Promise<void>;
  fail(backfillId: string, error: string): Promise<void>;
}
