import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { BACKFILL_WATERMARK_PREFIX } from '#core/source/wal-markers.js';
import type { RawRow } from '../messages/raw-row.js';
import type { CompiledTable } from '../messages/table-shape.js';
import { REPLICATION_SESSION_OPTIONS } from '../pgoutput/session-options.js';
import { type PublishedTable, SourceCatalog } from '../reader/source-catalog.js';
import { countRows } from './count-rows.js';
import type { BackfillStore, LoadedBackfill } from './loaded-backfill.js';
import { cursorOf, keysetOf, pageParams, pageSql, type PageShape, TEXT_VALUES } from './page-query.js';
import type { BackfillPages, OpenPage } from './page-windows.js';

export interface BackfillRunnerDeps {
  /** pg connection settings for the source database. */
  connection: pg.ClientConfig;
  /** The slot's publication: a read carries the columns and passes the row filter its changes would. */
  publication: string;
  pages: BackfillPages;
  store: BackfillStore;
  log: { warn(message: string): void };
  /** The largest page the sink takes at once (half its max_ack_pending, so live changes keep room). */
  maxPageSize: number;
}

/** A page query may take this long before Postgres cancels it and the page is made smaller. */
export const PAGE_STATEMENT_TIMEOUT_MS = 30_000;
/** Pages grow while their query is faster than a quarter of this, and shrink when slower. */
const PAGE_TARGET_MS = 2_000;
const FIRST_PAGE_SIZE = 1_000;
const MAX_PAGE_SIZE = 20_000;
const MAX_ATTEMPTS = 6;

/** A page whose rows are read and whose window is open; its watermark is not written yet. */
interface ReadPage {
  page: OpenPage;
  rows: RawRow[];
  /** The page size it was read with: fewer rows means the table's end. */
  limit: number;
}

/** The backfill cannot go on (table gone, no primary key, bad start position): it fails, visibly. */
class BackfillProblem extends Error {}

/** SQLSTATEs that no retry will cure: missing table or column, a start position of the wrong type. */
const PERMANENT_SQLSTATES = /^(22|42)/;

function isPermanent(error: unknown): boolean {
  if (error instanceof BackfillProblem) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && PERMANENT_SQLSTATES.test(code);
}

const isStatementTimeout = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === '57014';

/**
 * Runs one backfill inside a reader session: reads a page in keyset order, writes a watermark into
 * the WAL, and waits until the reader has emitted the page (minus rows changed meanwhile) and the
 * sink has taken every row; then saves the cursor and goes on. A page whose watermark this session
 * never emits (the session ended) is simply read again from the saved cursor.
 */
export class BackfillRunner {
  readonly done: Promise<void>;
  /** Completed or failed: this backfill needs no runner any more. */
  ended = false;
  private stopping = false;
  private readonly aborted = new AbortController();
  private pageSize: number;
  /** Failed attempts in a row; a recorded page starts the count again. */
  private failures = 0;
  private counted = false;
  /** The source connection of the current attempt: ended by abort() to interrupt a query in flight. */
  private client: pg.Client | null = null;

  constructor(
    private readonly backfill: LoadedBackfill,
    private readonly deps: BackfillRunnerDeps,
  ) {
    this.pageSize = Math.min(FIRST_PAGE_SIZE, this.maxPageSize);
    this.done = this.run();
  }

  get id(): string {
    return this.backfill.id;
  }

  /** Paused, cancelled or its sink gone: finish the page in flight, then stop. */
  stop(): void {
    this.stopping = true;
  }

  /** Active again before it stopped: go on. */
  resume(): void {
    if (!this.aborted.signal.aborted) this.stopping = false;
  }

  /** The session ends: stop now (a query in flight too); the page in flight is read again by the next session. */
  abort(): void {
    this.stopping = true;
    this.aborted.abort();
    void this.client?.end().catch(() => undefined);
  }

  private get maxPageSize(): number {
    return Math.max(1, Math.min(MAX_PAGE_SIZE, this.deps.maxPageSize));
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.runConnected();
        return;
      } catch (error) {
        if (this.stopping) return;
        const message = (error as Error).message;
        const attempt = ++this.failures;
        if (isPermanent(error) || attempt >= MAX_ATTEMPTS) {
          this.ended = true;
          await this.deps.store.fail(this.backfill.id, message).catch(() => undefined);
          return;
        }
        this.deps.log.warn(`Backfill ${this.backfill.id} (attempt ${attempt}): ${message}`);
        await delay(500 * 2 ** attempt, undefined, { signal: this.aborted.signal }).catch(() => undefined);
      }
    }
  }

  private async runConnected(): Promise<void> {
    if (this.stopping) return;
    const client = new pg.Client({
      ...this.deps.connection,
      // Values in exactly the text form the reader's encoders parse (as pgoutput sends them). The
      // watermark's commit is flushed at once even where synchronous_commit is off: the walsender
      // only sends flushed WAL, and the page waits for its watermark.
      options: `${REPLICATION_SESSION_OPTIONS} -c synchronous_commit=on`,
      statement_timeout: PAGE_STATEMENT_TIMEOUT_MS,
      query_timeout: undefined,
      keepAlive: true,
    });
    client.on('error', () => undefined); // surfaces as the failing query's error
    this.client = client;
    try {
      await client.connect();
      const { table, rowFilter } = await this.tableOf(client);
      const { backfill } = this;
      const keyset = keysetOf(table.primaryKey, backfill.sortColumn);
      const columns = table.columns.map((c) => c.name);
      const shape: PageShape = {
        schema: table.schema,
        table: table.name,
        // The keyset's columns are read for the cursor also when the publication's column list leaves them out.
        columns: [...columns, ...keyset.filter((c) => !columns.includes(c))],
        keyset,
        startColumn: backfill.startPosition === null ? null : backfill.sortColumn,
        rowFilter,
      };
      if (backfill.rowsInitialCount === null && !this.counted) {
        this.counted = true; // once per runner: a table too big to count in time keeps no count
        const count = await countRows(client, shape, backfill.startPosition);
        if (count !== null) {
          backfill.rowsInitialCount = count;
          await this.deps.store.setInitialCount(backfill.id, count);
        }
      }
      if (await this.copyPages(client, table, shape)) {
        this.ended = true;
        await this.deps.store.complete(backfill.id);
      }
    } finally {
      this.client = null;
      await client.end().catch(() => undefined);
    }
  }

  private async tableOf(client: pg.Client): Promise<PublishedTable> {
    const { schema, table: name, sortColumn } = this.backfill;
    const published = await new SourceCatalog(client).compileNamed(schema, name, this.deps.publication);
    if (!published) throw new BackfillProblem(`table ${schema}.${name} does not exist`);
    const { table } = published;
    if (table.primaryKey.length === 0) throw new BackfillProblem(`table ${schema}.${name} has no primary key`);
    if (sortColumn !== null && !table.columns.some((c) => c.name === sortColumn)) {
      throw new BackfillProblem(`table ${schema}.${name} has no column ${sortColumn} that its publication sends`);
    }
    return published;
  }

  /**
   * Pages in keyset order until the last (true) or a stop (false). The next page is read while the
   * sink takes the one before: the query runs in Postgres while the worker delivers. Its watermark
   * is written only once the page before it has settled, so the sink holds one page at a time (half
   * its max_ack_pending, the other half for live changes); its window is open from before its read.
   */
  private async copyPages(client: pg.Client, table: CompiledTable, shape: PageShape): Promise<boolean> {
    const { backfill, deps } = this;
    let reading: Promise<ReadPage | null> | null = this.readPage(client, table, shape, backfill.cursor);
    try {
      while (!this.stopping) {
        const read: ReadPage | null = await reading!;
        reading = null;
        if (read === null) {
          reading = this.readPage(client, table, shape, backfill.cursor); // made smaller: again from the cursor
          continue;
        }
        const { page, rows, limit } = read;
        if (rows.length === 0) {
          deps.pages.close(page);
          return true;
        }
        page.rows = rows;
        try {
          await client.query(`SELECT pg_logical_emit_message(true, $1, $2)`, [BACKFILL_WATERMARK_PREFIX, page.id]);
        } catch (error) {
          deps.pages.close(page);
          throw error;
        }
        const last = rows.length < limit;
        const cursor = cursorOf(rows.at(-1)!, shape.keyset);
        if (!last) {
          reading = this.readPage(client, table, shape, cursor);
          reading.catch(() => undefined); // awaited in the next round; not an unhandled rejection meanwhile
        }
        const ingested = await this.settled(page.settled);
        await deps.store.recordPage(backfill.id, { cursor, rowsProcessed: rows.length, rowsIngested: ingested });
        backfill.cursor = cursor;
        this.failures = 0;
        if (last) return true;
      }
      return false;
    } finally {
      // A page read ahead and never watermarked: its window closes (its rows are read again next time).
      void reading?.then((read) => read && deps.pages.close(read.page)).catch(() => undefined);
    }
  }

  /** Opens a page's window and reads its rows; null when the query timed out and pages were made smaller. */
  private async readPage(
    client: pg.Client,
    table: CompiledTable,
    shape: PageShape,
    cursor: string[] | null,
  ): Promise<ReadPage | null> {
    const { backfill, deps } = this;
    const limit = this.pageSize;
    const page = deps.pages.open(randomUUID(), backfill.id, backfill.sinkId, table);
    try {
      const started = performance.now();
      const query = {
        text: pageSql(shape, cursor !== null),
        values: pageParams(cursor, backfill.startPosition, limit),
        types: TEXT_VALUES,
      };
      // node-pg builds rows as plain objects, which lose a column named __proto__: such a table's rows come as arrays.
      const rows = table.protoColumn
        ? rowsFromArrays(await client.query<string[]>({ ...query, rowMode: 'array' }))
        : (await client.query<RawRow>(query)).rows;
      this.adaptPageSize(performance.now() - started);
      return { page, rows, limit };
    } catch (error) {
      deps.pages.close(page);
      if (isStatementTimeout(error) && limit > 1) {
        this.pageSize = Math.max(1, Math.floor(limit / 4));
        return null;
      }
      throw error;
    }
  }

  private adaptPageSize(queryMs: number): void {
    if (queryMs < PAGE_TARGET_MS / 4) this.pageSize = Math.min(this.maxPageSize, this.pageSize * 2);
    else if (queryMs > PAGE_TARGET_MS) this.pageSize = Math.max(1, Math.floor(this.pageSize / 2));
  }

  private settled(settled: Promise<number>): Promise<number> {
    const { signal } = this.aborted;
    if (signal.aborted) return Promise.reject(new Error('session ended'));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(new Error('session ended'));
      signal.addEventListener('abort', onAbort, { once: true });
      settled.then((value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      }, reject);
    });
  }
}

function rowsFromArrays(result: pg.QueryArrayResult<Array<string | null>>): RawRow[] {
  const names = result.fields.map((field) => field.name);
  return result.rows.map((values) => {
    const row = Object.create(null) as Record<string, string | null>;
    for (let i = 0; i < names.length; i++) row[names[i]!] = values[i]!;
    return row as RawRow;
  });
}
