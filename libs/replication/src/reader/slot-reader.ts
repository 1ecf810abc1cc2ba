import { setTimeout as delay } from 'node:timers/promises';
import pLimit from 'p-limit';
import pg from 'pg';
import { LogicalReplicationService, type Pgoutput } from 'pg-logical-replication';
import type { TransactionStatus } from '#core/database/transaction-status.js';
import { settlesWithin } from '#core/embedded/managed-process.js';
import { bigIntToLsn, lsnToBigInt } from '#core/source/lsn.js';
import { BACKFILL_WATERMARK_PREFIX, parseSinkCreatedMarker, SINK_CREATED_PREFIX } from '#core/source/wal-markers.js';
import type { SinkDelivery } from '#sinks/sink-delivery.js';
import { BackfillCoordinator } from '../backfill/backfill-coordinator.js';
import type { BackfillStore } from '../backfill/loaded-backfill.js';
import { BackfillPages, rowKey } from '../backfill/page-windows.js';
import { buildChangeBody, type ChangeBody, type RowChange } from '../messages/change-body.js';
import { backfillReadPosition, type TransactionInfo } from '../messages/envelope.js';
import type { CompiledTable } from '../messages/table-shape.js';
import { Fifo } from '../pipeline/fifo.js';
import { FlushTracker, type TrackedTransaction } from '../pipeline/flush-tracker.js';
import type { PipelineMessage } from '../pipeline/sink-pipeline.js';
import { RawTextPgoutputPlugin } from '../pgoutput/raw-text-pgoutput-plugin.js';
import { REPLICATION_SESSION_OPTIONS } from '../pgoutput/session-options.js';
import { type DecodedEvent, PgoutputTransactionDecoder } from '../pgoutput/transaction-decoder.js';
import type { LoadedSink, ReaderSource } from './loaded-sink.js';
import type { MessageLedger } from './message-ledger.js';
import { NO_METRICS, type ReaderMetrics } from './reader-metrics.js';
import { SinkRuntime } from './sink-runtime.js';
import { SourceCatalog } from './source-catalog.js';

export interface SlotReaderOptions {
  source: ReaderSource;
  /** pg connection settings for the source (user, password, host, port, database, ssl). */
  connection: pg.ClientConfig;
  loadSinks(): Promise<LoadedSink[]>;
  /**
   * Whether a metadata transaction (a sink creation's, named by its marker) is still open: `pg_xact_status`,
   * null when Postgres no longer knows it (long finished). Without it, a sink's marker waits up to
   * SINK_CREATED_WAIT_MS for the sink.
   */
  transactionStatus?(transactionId: string): Promise<TransactionStatus | null>;
  createDelivery(sink: LoadedSink): SinkDelivery<unknown> | null;
  ledger: MessageLedger;
  /** Backfills of this slot's sinks; without it the session runs none. */
  backfills?: BackfillStore;
  metrics?: ReaderMetrics;
  log: { info(message: string): void; warn(message: string): void; error(message: string, error?: unknown): void };
  /** How often the flush LSN is reported to Postgres. */
  statusIntervalMs?: number;
  /** Events decoded but not yet routed before the socket is paused. */
  inboxHighWater?: number;
  /** How long a stop waits for batches in flight before it lets the slot go (default STOP_DRAIN_MS). */
  stopDrainMs?: number;
}

type InboxEvent =
  | { kind: 'data'; message: Pgoutput.Message }
  | { kind: 'heartbeat'; walEnd: bigint; shouldRespond: boolean }
  | { kind: 'reload' };

const KEEPALIVE_MS = 10_000;
/** Backfills are also re-read on this period, in case a notification of a change was lost. */
const BACKFILL_SYNC_MS = 5_000;
const MAX_WARNINGS = 5;
const SINK_CREATED_WAIT_MS = 10_000;
/**
 * Longer than a Redis command's timeout, well under wal_sender_timeout: a destination that never
 * answers (a hung metadata Postgres) must not keep the slot from the next owner.
 */
export const STOP_DRAIN_MS = 15_000;

class ReaderStopped extends Error {}

/**
 * One replication session on one slot: reads pgoutput, routes each change to the push sinks in its
 * scope, and reports to Postgres a flush LSN that never passes an undelivered change. Processing is
 * strictly sequential in stream order (heartbeats included, so an idle acknowledgement can never skip
 * a change still queued); whenever a step must wait (catalog lookup, sink reload, a sink at its
 * in-flight bound) the socket is paused and the slot keeps the WAL.
 */
export class SlotReaderSession {
  private readonly decoder = new PgoutputTransactionDecoder();
  private readonly relations = new Map<number, CompiledTable>();
  private readonly runtimes = new Map<string, SinkRuntime>();
  private readonly inbox = new Fifo<InboxEvent>();
  private blocked: Promise<void> | null = null;
  /** Reading waits for a sink at its in-flight bound (not for a catalog lookup or a sink reload). */
  private heldByBound = false;
  private reloading: Promise<void> = Promise.resolve();
  private draining = false;
  /**
   * Events wait until start() has the flush tracker and the sinks: a reload can be requested before
   * (the API created a sink as this session began), and a runtime built without the tracker would fail.
   */
  private started = false;
  /**
   * The session failed (handling an event threw, among other reasons): nothing more is handled, or
   * the commit of a change that was not routed would move the flush LSN past it (the change lost once
   * the slot is acknowledged).
   */
  private halted = false;
  private transaction: TrackedTransaction | null = null;
  private inTransaction = false;
  private tracker!: FlushTracker;
  private service!: LogicalReplicationService;
  private catalog!: SourceCatalog;
  private catalogClient!: pg.Client;
  /**
   * Relation lookups and the lag metric share the catalog connection, one query at a time: node-pg
   * deprecates queueing a query on a busy client (removed in pg 9) and warns on stderr.
   */
  private readonly catalogTurn = pLimit(1);
  private statusTimer: NodeJS.Timeout | null = null;
  private lastReported = -1n;
  private lastReportedAt = 0;
  private failure!: (error: unknown) => void;
  private readonly failed: Promise<never>;
  private restartRequested = false;
  private lastChangeAt = 0;
  private readonly pages = new BackfillPages();
  /** Recent problems in the source's changes that every sink's health shows (newest last). */
  private readonly warnings: Array<{ at: number; message: string }> = [];
  /** Tables whose changes came without their primary key, warned about once per session. */
  private readonly missingKeyTables = new Set<string>();
  private backfills: BackfillCoordinator | null = null;
  private backfillTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: SlotReaderOptions) {
    this.failed = new Promise<never>((_, reject) => {
      this.failure = (error) => {
        this.halted = true;
        reject(error);
      };
    });
    this.failed.catch(() => undefined);
  }

  /** Current flush LSN (for metrics and tests). */
  get flushLsn(): bigint {
    return this.tracker?.flushLsn ?? 0n;
  }

  /**
   * Re-read the sinks (API changed one); applied in stream order. While a sink at its bound holds
   * reading, at once: resuming, disabling or deleting that sink is what can free the reader.
   */
  requestReload(): void {
    if (this.heldByBound) void this.reloadSinks().catch((error) => this.failure(error));
    else this.enqueue({ kind: 'reload' });
  }

  /** Redeliver now / discard failing messages of one sink (the messages API). */
  retryNow(sinkId: string, keys: Set<string> | undefined): void {
    this.runtimes.get(sinkId)?.pipeline.retryNow(keys);
  }

  discard(sinkId: string, keys: Set<string>): number {
    return this.runtimes.get(sinkId)?.discard(keys) ?? 0;
  }

  /** Warnings of the last few minutes, for the sinks' health: when each happened (epoch ms) and what. */
  recentWarnings(): ReadonlyArray<{ at: number; message: string }> {
    return this.warnings;
  }

  private warn(message: string): void {
    this.options.log.warn(message);
    this.warnings.push({ at: Date.now(), message });
    if (this.warnings.length > MAX_WARNINGS) this.warnings.shift();
  }

  /** When the last row change was received (epoch ms; 0 before the first). */
  get lastChangeReceivedAt(): number {
    return this.lastChangeAt;
  }

  /** Sinks this session delivers to, with how many messages each holds undelivered. */
  sinkStates(): Array<{ id: string; name: string; outstanding: number }> {
    return [...this.runtimes.values()].map((r) => ({ id: r.id, name: r.name, outstanding: r.pipeline.outstanding }));
  }

  /** pg_current_wal_lsn() − confirmed_flush_lsn of the slot, in bytes: WAL the slot makes Postgres keep. */
  async replicationLagBytes(): Promise<bigint | null> {
    const { rows } = await this.catalogTurn(() =>
      this.catalogClient.query<{ lag: string | null }>(
        `SELECT (pg_current_wal_lsn() - confirmed_flush_lsn)::text AS lag FROM pg_replication_slots WHERE slot_name = $1`,
        [this.options.source.slotName],
      ),
    );
    return rows[0]?.lag == null ? null : BigInt(rows[0].lag.split('.')[0]!);
  }

  /** Undelivered messages of one sink, oldest first (the messages API's `pending`). */
  pending(sinkId: string): PipelineMessage<unknown>[] {
    const runtime = this.runtimes.get(sinkId);
    return runtime ? [...runtime.pipeline.messages()] : [];
  }

  /** Runs until the replication connection ends, fails, or `signal` aborts. Always cleans up. */
  async run(signal: AbortSignal): Promise<void> {
    const onAbort = (): void => this.failure(new ReaderStopped('stopped'));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.start();
      await Promise.race([this.subscribe(), this.failed]);
    } catch (error) {
      if (!(error instanceof ReaderStopped)) throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
      await this.shutdown();
    }
  }

  private async start(): Promise<void> {
    const { source, connection } = this.options;
    this.catalogClient = new pg.Client({ ...connection, options: REPLICATION_SESSION_OPTIONS });
    this.catalogClient.on('error', (error) => this.failure(error));
    await this.catalogClient.connect();
    this.catalog = new SourceCatalog(this.catalogClient);
    const { rows } = await this.catalogTurn(() =>
      this.catalogClient.query<{ confirmed_flush_lsn: string | null }>(
        `SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database()`,
        [source.slotName],
      ),
    );
    if (rows.length === 0) throw new Error(`Replication slot "${source.slotName}" does not exist in this database`);
    this.tracker = new FlushTracker(lsnToBigInt(rows[0]!.confirmed_flush_lsn ?? '0/0'));
    await this.applySinks(await this.options.loadSinks());
    this.startBackfills();
    this.started = true;
    this.drain(); // reloads requested meanwhile
  }

  private startBackfills(): void {
    const { backfills: store, connection, log, source } = this.options;
    if (!store) return;
    const publication = source.publicationName;
    this.backfills = new BackfillCoordinator({ connection, publication, pages: this.pages, store, log });
    this.syncBackfills();
    this.backfillTimer = setInterval(() => this.syncBackfills(), BACKFILL_SYNC_MS);
    this.backfillTimer.unref();
  }

  /** Runs the active backfills of the sinks this session delivers to (off the stream: never blocks it). */
  private syncBackfills(): void {
    const coordinator = this.backfills;
    if (!coordinator || !this.options.backfills) return;
    this.options.backfills.load().then(
      (loaded) =>
        coordinator.sync(loaded, (sinkId) => {
          const runtime = this.runtimes.get(sinkId);
          return runtime ? Math.floor(runtime.inFlightBound / 2) : null;
        }),
      (error) => this.options.log.warn(`Could not read backfills: ${(error as Error).message}`),
    );
  }

  private subscribe(): Promise<unknown> {
    const { source, connection } = this.options;
    this.service = new LogicalReplicationService(
      { ...connection, options: REPLICATION_SESSION_OPTIONS },
      // Never let the library acknowledge: only the flush tracker may move the slot.
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: false } },
    );
    this.service.on('data', (_lsn: string, message: Pgoutput.Message) => this.enqueue({ kind: 'data', message }));
    this.service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) =>
      this.enqueue({ kind: 'heartbeat', walEnd: lsnToBigInt(lsn), shouldRespond }),
    );
    this.service.on('error', (error: Error) => this.failure(error));
    this.service.on('start', () => {
      this.options.log.info(`Reading slot ${source.slotName} from ${bigIntToLsn(this.tracker.flushLsn)}`);
      this.statusTimer = setInterval(() => this.reportStatus(false), this.options.statusIntervalMs ?? 1000);
    });
    const plugin = new RawTextPgoutputPlugin({
      protoVersion: 1,
      publicationNames: [source.publicationName],
      messages: true,
    });
    return this.service.subscribe(plugin, source.slotName, bigIntToLsn(this.tracker.flushLsn)).then(() => {
      throw new Error('Replication connection closed by the server');
    });
  }

  private async shutdown(): Promise<void> {
    if (this.backfillTimer) clearInterval(this.backfillTimer);
    await this.backfills?.close();
    // Batches in flight get their answers before the last status goes out, so a clean stop leaves the
    // next session nothing to send again that this one delivered; for a while at most, then the slot
    // goes to whoever reads it next. Status reports go on meanwhile: they are the server's keepalive.
    const closed = Promise.all([...this.runtimes.values()].map((runtime) => runtime.close()));
    await settlesWithin(closed, this.options.stopDrainMs ?? STOP_DRAIN_MS);
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.reportStatus(true);
    await this.service?.destroy().catch(() => undefined);
    await closed;
    await this.catalogClient?.end().catch(() => undefined);
  }

  /** Sends the flush LSN when it moved, and at least every few seconds (the server's keepalive). */
  private reportStatus(force: boolean): void {
    if (!this.service || this.service.isStop()) return;
    const flush = this.tracker.flushLsn;
    if (!force && flush === this.lastReported && Date.now() - this.lastReportedAt < KEEPALIVE_MS) return;
    this.lastReported = flush;
    this.lastReportedAt = Date.now();
    // The library reports lsn + 1 as written/flushed/applied; hand it one less to report `flush` exactly.
    void this.service.acknowledge(bigIntToLsn(flush > 0n ? flush - 1n : 0n)).catch((error) => this.failure(error));
  }

  private enqueue(event: InboxEvent): void {
    this.inbox.push(event);
    if (this.inbox.length > (this.options.inboxHighWater ?? 20_000)) this.pauseSocket();
    this.drain();
  }

  private drain(): void {
    if (this.draining || this.blocked || !this.started || this.halted) return;
    this.draining = true;
    try {
      while (this.inbox.length > 0 && !this.blocked) {
        const wait = this.handle(this.inbox.shift()!);
        if (wait) this.block(wait);
      }
    } catch (error) {
      this.failure(error);
    } finally {
      this.draining = false;
    }
    if (!this.blocked && !this.halted && this.inbox.length === 0) this.resumeSocket();
  }

  private block(wait: Promise<unknown>): void {
    this.pauseSocket();
    this.blocked = wait.then(
      () => {
        this.blocked = null;
        this.drain();
      },
      (error) => this.failure(error),
    );
  }

  // The library offers no pause/resume of its own in this mode; the pg connection's socket does.
  private socket(): { pause(): void; resume(): void } | undefined {
    return (this.service as unknown as { _connection?: { stream?: { pause(): void; resume(): void } } })?._connection
      ?.stream;
  }

  private pauseSocket(): void {
    this.socket()?.pause();
  }

  private resumeSocket(): void {
    this.socket()?.resume();
  }

  /** Handles one event synchronously; returns a promise when processing must wait for it. */
  private handle(event: InboxEvent): Promise<unknown> | undefined {
    switch (event.kind) {
      case 'heartbeat':
        if (!this.inTransaction) this.tracker.idleAt(event.walEnd);
        if (event.shouldRespond) this.reportStatus(true);
        return undefined;
      case 'reload':
        return this.reloadSinks();
      case 'data':
        return this.handleMessage(event.message);
    }
  }

  private handleMessage(message: Pgoutput.Message): Promise<unknown> | undefined {
    if (message.tag === 'begin') this.inTransaction = true;
    let wait: Promise<unknown> | undefined;
    for (const event of this.decoder.decode(message)) {
      wait = this.handleDecoded(event) ?? wait;
    }
    return wait ?? this.backPressure();
  }

  private handleDecoded(event: DecodedEvent): Promise<unknown> | undefined {
    switch (event.kind) {
      case 'relation':
        return this.catalogTurn(() => this.catalog.compile(event.relation)).then(
          (table) => void this.relations.set(event.relation.relationOid, table),
        );
      case 'row':
        this.routeRow(event.relation, event);
        return undefined;
      case 'truncate':
        this.routeTruncate(event.relation, event.position);
        return undefined;
      case 'message':
        if (event.prefix === SINK_CREATED_PREFIX) return this.awaitNewSink(Buffer.from(event.content).toString('utf8'));
        if (event.prefix === BACKFILL_WATERMARK_PREFIX && event.transaction) {
          this.emitBackfillPage(Buffer.from(event.content).toString('utf8'), event.transaction);
        }
        return undefined;
      case 'annotation_warning':
        this.warn(
          `invalid transaction annotations (${event.prefix}) in the transaction committed at LSN ` +
            `${bigIntToLsn(event.transaction.commitLsn)}: not JSON, transaction_annotations is null`,
        );
        return undefined;
      case 'commit':
        this.tracker.close(this.transaction ?? this.tracker.open(event.commitLsn), event.commitEndLsn);
        this.transaction = null;
        this.inTransaction = false;
        return undefined;
    }
  }

  private currentTransaction = (): TrackedTransaction => {
    if (!this.transaction) throw new Error('Change outside a transaction');
    return this.transaction;
  };

  private openTransaction(commitLsn: bigint): () => TrackedTransaction {
    this.transaction ??= this.tracker.open(commitLsn);
    return this.currentTransaction;
  }

  private routeRow(relation: Pgoutput.MessageRelation, event: Extract<DecodedEvent, { kind: 'row' }>): void {
    this.lastChangeAt = Date.now();
    const table = this.relations.get(relation.relationOid);
    if (!table) throw new Error(`Change for unknown relation ${relation.schema}.${relation.name}`);
    const { action } = event.change;
    let body: ChangeBody | null = null;
    for (const runtime of this.runtimes.values()) {
      if (!runtime.wants(table.schema, table.name, action, event.position.commitLsn)) continue;
      body ??= buildChangeBody(table, event.change);
      runtime.pushRow(body, event.position, this.openTransaction(event.position.commitLsn));
      if (this.pages.watching)
        this.pages.noteChange(runtime.id, table.schema, table.name, touchedKeys(table, body, event.change));
    }
    if (body?.primaryKeyMissing) this.warnMissingPrimaryKey(table, body.primaryKeyMissing, event.position.commitLsn);
  }

  /** Once per table and session: every such change of the table has the same cause. */
  private warnMissingPrimaryKey(table: CompiledTable, columns: readonly string[], commitLsn: bigint): void {
    const name = `${table.schema}.${table.name}`;
    if (this.missingKeyTables.has(name)) return;
    this.missingKeyTables.add(name);
    this.warn(
      `changes of ${name} come without primary key column(s) ${columns.join(', ')} (first at LSN ` +
        `${bigIntToLsn(commitLsn)}): deletes under REPLICA IDENTITY USING INDEX carry only that index, and a ` +
        'publication column list may leave the key out. Their record_pks and group ids cannot name the row, and ' +
        'redis_string sinks fail them; set REPLICA IDENTITY DEFAULT or FULL and publish the key',
    );
  }

  /**
   * A backfill page's watermark: its rows go to the sink as `read` messages positioned at the
   * watermark, except rows a change touched since the page was opened (that change is newer). A
   * watermark of a page this session did not open (a replay, another session) is skipped: its
   * backfill reads the page again.
   */
  private emitBackfillPage(pageId: string, watermark: TransactionInfo): void {
    const page = this.pages.take(pageId);
    if (!page || page.rows === null) return;
    const runtime = this.runtimes.get(page.sinkId);
    const transaction = this.openTransaction(watermark.commitLsn)();
    const pageTransaction = (): TrackedTransaction => transaction;
    let ingested = 0;
    let commitIdx = 0;
    for (const row of runtime ? page.rows : []) {
      const body = buildChangeBody(page.table, { action: 'read', new: row });
      if (page.truncated || page.changed.has(rowKey(body.recordPks))) continue;
      const position = backfillReadPosition(watermark, commitIdx++, page.backfillId, body.recordPks);
      if (runtime!.pushRow(body, position, pageTransaction)) ingested++;
    }
    transaction.onSettled = () => page.finish(ingested);
  }

  private routeTruncate(
    relation: Pgoutput.MessageRelation,
    position: Extract<DecodedEvent, { kind: 'truncate' }>['position'],
  ): void {
    const table = this.relations.get(relation.relationOid) ?? { schema: relation.schema, name: relation.name };
    for (const runtime of this.runtimes.values()) {
      if (runtime.wants(table.schema, table.name, 'truncate', position.commitLsn)) {
        runtime.pushTruncate(table, position, this.openTransaction(position.commitLsn));
        // Rows of an open page are gone: none of them may arrive after the truncate.
        if (this.pages.watching) this.pages.noteTruncate(runtime.id, table.schema, table.name);
      }
    }
  }

  private backPressure(): Promise<unknown> | undefined {
    let waits: Promise<void>[] | null = null;
    for (const runtime of this.runtimes.values()) {
      if (runtime.pipeline.isFull) (waits ??= []).push(runtime.pipeline.whenNotFull());
    }
    if (!waits) return undefined;
    this.heldByBound = true;
    return Promise.all(waits).finally(() => (this.heldByBound = false));
  }

  /**
   * The API wrote this marker inside the transaction that saves the sink: wait until the row is
   * visible, then route to it. Once that transaction has ended without the row being visible (the
   * sink was deleted since, or its creation failed), there is nothing to wait for: waiting held every
   * sink of the slot for SINK_CREATED_WAIT_MS, also on every replay of the marker.
   */
  private async awaitNewSink(content: string): Promise<void> {
    const { sinkId, transactionId } = parseSinkCreatedMarker(content);
    const deadline = Date.now() + SINK_CREATED_WAIT_MS;
    for (;;) {
      const sinks = await this.options.loadSinks();
      if (sinks.some((sink) => sink.id === sinkId) || Date.now() > deadline || (await this.ended(transactionId))) {
        await this.reloadSinks();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Whether a sink creation's transaction has ended (committed or not); false while unknown. */
  private async ended(transactionId: string | null): Promise<boolean> {
    if (transactionId === null || !this.options.transactionStatus) return false;
    try {
      return (await this.options.transactionStatus(transactionId)) !== 'in progress';
    } catch (error) {
      this.options.log.warn(`Could not read the status of transaction ${transactionId}: ${(error as Error).message}`);
      return false;
    }
  }

  /**
   * Reloads run one at a time, each reading the sinks once the previous one is applied, so the last
   * reload applies the newest settings (an immediate reload can overlap an in-stream one).
   */
  private reloadSinks(): Promise<void> {
    const reload = this.reloading.then(async () => {
      await this.applySinks(await this.options.loadSinks());
      this.syncBackfills();
      if (this.restartRequested)
        this.failure(new Error('Sink destination changed: restarting the session to re-read from the slot'));
    });
    this.reloading = reload.catch(() => undefined);
    return reload;
  }

  private async applySinks(sinks: LoadedSink[]): Promise<void> {
    const wanted = new Map(sinks.filter((s) => s.status !== 'disabled').map((s) => [s.id, s]));
    for (const [id, runtime] of this.runtimes) {
      if (wanted.has(id)) continue;
      this.runtimes.delete(id);
      await runtime.abandon();
    }
    for (const sink of wanted.values()) {
      const runtime = this.runtimes.get(sink.id);
      if (runtime && runtime.version === sink.version) continue;
      if (runtime && runtime.destinationKey !== destinationKey(sink)) {
        this.restartRequested = true; // a new destination needs a new connection; replay is the safe way
        continue;
      }
      if (runtime) {
        runtime.update(sink);
        continue;
      }
      const delivery = this.options.createDelivery(sink);
      if (!delivery) continue;
      if (sink.status !== 'paused') delivery.prepare?.(); // a paused sink would hold a connection it does not use
      const onError = (e: unknown): void => this.options.log.error(`Sink ${sink.name}`, e);
      const metrics = this.options.metrics ?? NO_METRICS;
      const { database } = this.options.source;
      this.runtimes.set(
        sink.id,
        new SinkRuntime(sink, database, delivery, this.tracker, this.options.ledger, metrics, onError),
      );
    }
  }
}

export function destinationKey(sink: LoadedSink): string {
  return JSON.stringify(sink.destination);
}

export interface SlotReaderLoopOptions extends SlotReaderOptions {
  /** Checked before each session: false when the slot was disabled or deleted (the reader then ends). */
  stillWanted(): Promise<boolean>;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * Keeps a slot read: runs sessions one after another, reconnecting with exponential backoff when the
 * source connection drops, until the slot is no longer wanted or `signal` aborts.
 */
export class SlotReader {
  private session: SlotReaderSession | null = null;
  private readonly stopped = new AbortController();

  constructor(private readonly options: SlotReaderLoopOptions) {}

  get current(): SlotReaderSession | null {
    return this.session;
  }

  /** The API changed the database or its sinks: re-read the sinks in stream order; end if the slot was disabled. */
  refresh(): void {
    this.session?.requestReload();
    this.options.stillWanted().then(
      (wanted) => wanted || this.stopped.abort(),
      (error) =>
        this.options.log.warn(`Could not check slot ${this.options.source.slotName}: ${(error as Error).message}`),
    );
  }

  async run(outer: AbortSignal): Promise<void> {
    const signal = AbortSignal.any([outer, this.stopped.signal]);
    let failures = 0;
    while (!signal.aborted && (await this.options.stillWanted())) {
      const started = Date.now();
      this.session = new SlotReaderSession(this.options);
      try {
        await this.session.run(signal);
      } catch (error) {
        this.options.log.warn(
          `Replication session on ${this.options.source.slotName} ended: ${(error as Error).message}`,
        );
      }
      if (signal.aborted) break;
      failures = Date.now() - started > MAX_BACKOFF_MS ? 1 : failures + 1;
      await delay(Math.min(MAX_BACKOFF_MS, 250 * 2 ** failures), undefined, { signal }).catch(() => undefined);
    }
    this.session = null;
  }
}

/** The primary keys a change touches: its row's, and the old one when an update changed the key. */
function touchedKeys(table: CompiledTable, body: ChangeBody, change: RowChange): string[] {
  const key = rowKey(body.recordPks);
  const before = change.action === 'update' ? (change.key ?? change.old) : null;
  if (!before) return [key];
  const oldKey = rowKey(table.primaryKey.map((column) => before[column] ?? ''));
  return oldKey === key ? [key] : [key, oldKey];
}
