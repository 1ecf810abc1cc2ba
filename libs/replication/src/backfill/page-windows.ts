import type { RawRow } from '../messages/raw-row.js';
import type { CompiledTable } from '../messages/table-shape.js';

/**
 * A backfill page between its read and its watermark. Rows whose key a sink-bound change touches
 * while the page is open are dropped at the watermark: that change (delivered to the sink in commit
 * order) is at least as new as the read, so the sink never gets a stale read after a newer change.
 */
export interface OpenPage {
  readonly id: string;
  readonly backfillId: string;
  readonly sinkId: string;
  readonly table: CompiledTable;
  /** The rows read, in keyset order; null until the page query returns. */
  rows: RawRow[] | null;
  /** Primary keys (see rowKey) changed since the page was opened. */
  readonly changed: Set<string>;
  /** The table was truncated since the page was opened: none of its rows may be emitted. */
  truncated: boolean;
  /** Resolves with how many read messages the sink took, once every one is settled. */
  readonly settled: Promise<number>;
  finish(ingested: number): void;
}

/** A primary key as one string (Postgres text cannot hold NUL, so the join is unambiguous). */
export const rowKey = (pks: readonly string[]): string => pks.join('\u0000');

const watchKey = (sinkId: string, schema: string, table: string): string => `${sinkId}\u0000${schema}.${table}`;

/** The open pages of one reader session, found by watermark id and by the sink and table they watch. */
export class BackfillPages {
  private readonly byId = new Map<string, OpenPage>();
  private readonly byTable = new Map<string, Set<OpenPage>>();

  /** Whether any page is open: the reader's fast path skips key tracking otherwise. */
  get watching(): boolean {
    return this.byId.size > 0;
  }

  /** Opens a page: from now on, changes of its table bound for its sink are noted. */
  open(id: string, backfillId: string, sinkId: string, table: CompiledTable): OpenPage {
    let finish!: (ingested: number) => void;
    const settled = new Promise<number>((resolve) => (finish = resolve));
    const page: OpenPage = {
      id,
      backfillId,
      sinkId,
      table,
      rows: null,
      changed: new Set(),
      truncated: false,
      settled,
      finish,
    };
    this.byId.set(id, page);
    const key = watchKey(sinkId, table.schema, table.name);
    let pages = this.byTable.get(key);
    if (!pages) this.byTable.set(key, (pages = new Set()));
    pages.add(page);
    return page;
  }

  /** A change of `schema.table` was routed to `sinkId`; `keys` are the primary keys it touched. */
  noteChange(sinkId: string, schema: string, table: string, keys: readonly string[]): void {
    const pages = this.byTable.get(watchKey(sinkId, schema, table));
    if (!pages) return;
    for (const page of pages) for (const key of keys) page.changed.add(key);
  }

  /** `schema.table` was truncated, in a change routed to `sinkId`. */
  noteTruncate(sinkId: string, schema: string, table: string): void {
    for (const page of this.byTable.get(watchKey(sinkId, schema, table)) ?? []) page.truncated = true;
  }

  /** The page of a watermark, removed from the open pages; undefined when this session did not open it. */
  take(id: string): OpenPage | undefined {
    const page = this.byId.get(id);
    if (page) this.close(page);
    return page;
  }

  close(page: OpenPage): void {
    this.byId.delete(page.id);
    const key = watchKey(page.sinkId, page.table.schema, page.table.name);
    const pages = this.byTable.get(key);
    pages?.delete(page);
    if (pages?.size === 0) this.byTable.delete(key);
  }
}
