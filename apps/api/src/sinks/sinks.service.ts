import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { Vault } from '#core/crypto/vault.js';
import { isUniqueViolation } from '#core/database/pg-errors.js';
import type { Backfill } from '#core/entities/backfill.entity.js';
import type { DiscoveredTable, PostgresDatabase } from '#core/entities/postgres-database.entity.js';
import type { Sink } from '#core/entities/sink.entity.js';
import { NotFoundError, ValidationError } from '#core/errors/api-errors.js';
import { Notifier } from '#core/queues/notifier.js';
import { BackfillsRepository } from '#core/repositories/backfills.repository.js';
import { PostgresDatabasesRepository } from '#core/repositories/postgres-databases.repository.js';
import { SinksRepository } from '#core/repositories/sinks.repository.js';
import { newBackfill, planInitialBackfills } from '../backfills/backfill-tables.js';
import type { CreateDestinationDto, PatchDestinationDto } from './dto/destination.dto.js';
import type { CreateSinkDto, PatchSinkDto, SinkSettingsInputDto, UpdateSinkDto } from './dto/sink-input.dto.js';
import { FieldErrors } from '../common/validation/field-errors.js';
import { SinkObservations } from './messages/sink-observations.js';
import type { SinkRecord } from './sinks.mapper.js';
import { DEFAULT_ACTIONS, DEFAULT_BATCH_SIZE, SINK_DEFAULTS } from './sink-defaults.js';
import {
  asSinkDestination,
  buildDestination,
  mergeDestination,
  type SinkDestination,
  toStoredDestination,
} from './sink-destination.js';
import { checkScope, normalizeSource, normalizeTables } from './sink-scope.js';
import { readStartLsn } from './start-lsn.js';

const NAME_TAKEN = 'has already been taken';
/**
 * Sink creations of this process writing their start marker at once. Each holds a metadata
 * connection in its open transaction while it asks the source (up to the source's timeouts): more
 * at once against a slow source would take the pool every other request needs.
 */
const CONCURRENT_CREATIONS = 4;
const FUNCTION_FIELDS = ['filter', 'transform', 'routing'] as const;

/** Fields no request may set to anything but their default until the features behind them exist. */
function refuseUnavailableFeatures(body: SinkSettingsInputDto, errors: FieldErrors): void {
  for (const field of FUNCTION_FIELDS) {
    if (body[field] !== undefined && body[field] !== null) errors.add([field], 'function not found');
  }
}

/** `initial_backfill` acts at creation only; an update may repeat the stored value, not change it. */
function refuseInitialBackfillChange(body: SinkSettingsInputDto, sink: Sink, errors: FieldErrors): void {
  if (body.initial_backfill !== undefined && body.initial_backfill !== sink.initialBackfill)
    errors.add(
      ['initial_backfill'],
      'cannot be changed after the sink is created; start a backfill with POST /api/sinks/{sink}/backfills',
    );
}

/** The update a PUT or PATCH makes to the stored destination, or undefined when it leaves it alone. */
type DestinationUpdate = (stored: SinkDestination) => SinkDestination | undefined;

@Injectable()
export class SinksService {
  private readonly creations = pLimit(CONCURRENT_CREATIONS);
  constructor(
    private readonly sinks: SinksRepository,
    private readonly databases: PostgresDatabasesRepository,
    private readonly vault: Vault,
    private readonly notifier: Notifier,
    private readonly observations: SinkObservations,
    private readonly backfills: BackfillsRepository,
  ) {}

  async list(accountId: string): Promise<SinkRecord[]> {
    const [sinks, databases] = await Promise.all([
      this.sinks.find(accountId, {}, { insertedAt: 'ASC' }),
      this.databases.find(accountId),
    ]);
    const names = new Map(databases.map((d) => [d.id, d.name]));
    const [observed, backfills] = await Promise.all([
      this.observations.observe(accountId, sinks),
      this.runningBackfills(accountId, sinks),
    ]);
    return sinks.map((sink) => ({
      sink,
      databaseName: names.get(sink.postgresDatabaseId) ?? '',
      observation: observed.get(sink.id),
      backfills: backfills.get(sink.id) ?? [],
    }));
  }

  async get(accountId: string, idOrName: string): Promise<SinkRecord> {
    const sink = await this.sinks.getByIdOrName(accountId, idOrName);
    const [database, observed, backfills] = await Promise.all([
      this.databaseOf(accountId, sink),
      this.observations.observe(accountId, [sink]),
      this.runningBackfills(accountId, [sink]),
    ]);
    return {
      sink,
      databaseName: database.name,
      observation: observed.get(sink.id),
      backfills: backfills.get(sink.id) ?? [],
    };
  }

  /**
   * Validates everything, then reads the source's WAL position, then saves the sink and its initial
   * backfills: a failure writes nothing.
   */
  async create(accountId: string, body: CreateSinkDto): Promise<SinkRecord> {
    const errors = new FieldErrors();
    const database = await this.databases.findByIdOrName(accountId, body.database);
    if (!database) errors.add(['database'], 'not found');
    if (await this.sinks.isNameTaken(accountId, body.name)) errors.add(['name'], NAME_TAKEN);
    refuseUnavailableFeatures(body, errors);
    const source = normalizeSource(body.source);
    const tables = normalizeTables(body.tables ?? []);
    if (database) checkScope(database.tables, source, tables, errors);
    const backfillTables =
      database && errors.isEmpty && body.initial_backfill === true
        ? planInitialBackfills(database.tables, source, errors)
        : [];
    if (!database || !errors.isEmpty) throw errors.toError('sink');

    const id = randomUUID();
    // The start marker names the transaction inserting the sink, so that a reader meeting it waits for
    // the sink only while that transaction is open (see SINK_CREATED_PREFIX).
    const sink = await this.creations(() =>
      this.nameChecked(() =>
        this.sinks.saveInTransaction(accountId, async (transactionId) => ({
          id,
          name: body.name,
          postgresDatabaseId: database.id,
          destination: toStoredDestination(buildDestination(body.destination, this.vault)),
          status: body.status ?? SINK_DEFAULTS.status,
          source,
          tables,
          actions: body.actions ?? [...DEFAULT_ACTIONS],
          messageGrouping: body.message_grouping ?? SINK_DEFAULTS.messageGrouping,
          batchSize: body.batch_size ?? DEFAULT_BATCH_SIZE[body.destination.type],
          maxAckPending: body.max_ack_pending ?? SINK_DEFAULTS.maxAckPending,
          maxRetryCount: body.max_retry_count ?? SINK_DEFAULTS.maxRetryCount,
          ackWaitMs: body.ack_wait_ms ?? SINK_DEFAULTS.ackWaitMs,
          maxWaiting: body.max_waiting ?? SINK_DEFAULTS.maxWaiting,
          annotations: body.annotations ?? {},
          initialBackfill: body.initial_backfill ?? SINK_DEFAULTS.initialBackfill,
          filter: null,
          transform: null,
          routing: null,
          startLsn: await readStartLsn(database, this.vault, { sinkId: id, transactionId }),
        })),
      ),
    );
    const backfills = await this.startInitialBackfills(accountId, sink, backfillTables);
    await this.notifier.changed({ accountId, databaseId: database.id });
    return { sink, databaseName: database.name, backfills };
  }

  /** PUT: a given destination replaces the stored one (keeping the stored password when it is left out). */
  replace(accountId: string, idOrName: string, body: UpdateSinkDto): Promise<SinkRecord> {
    const destination = body.destination;
    return this.update(
      accountId,
      idOrName,
      body,
      (stored) => destination && buildDestination(destination, this.vault, stored),
    );
  }

  /** PATCH: the given destination fields are merged over the stored destination. */
  patch(accountId: string, idOrName: string, body: PatchSinkDto): Promise<SinkRecord> {
    const destination = body.destination;
    return this.update(
      accountId,
      idOrName,
      body,
      (stored) => destination && mergeDestination(stored, destination, this.vault),
    );
  }

  /**
   * A Sequin Stream sink changed or went: its stream routes, in every API process, look it up again
   * at once instead of using their cached copy for up to a second, and its long polls re-check it
   * (a paused sink hands out nothing, an activated one at once).
   */
  private async notifyStreamRoutes(sink: Sink): Promise<void> {
    if (sink.destination.type === 'sequin_stream') await this.notifier.streamSinkChanged(sink.id);
  }

  async remove(accountId: string, idOrName: string): Promise<string> {
    const sink = await this.sinks.getByIdOrName(accountId, idOrName);
    if ((await this.sinks.delete(accountId, { id: sink.id })) === 0) throw NotFoundError.of('sink', idOrName);
    await this.notifier.changed({ accountId, databaseId: sink.postgresDatabaseId });
    await this.notifyStreamRoutes(sink);
    return sink.id;
  }

  private async update(
    accountId: string,
    idOrName: string,
    body: UpdateSinkDto | PatchSinkDto,
    updateDestination: DestinationUpdate,
  ): Promise<SinkRecord> {
    const errors = new FieldErrors();
    const sink = await this.sinks.getByIdOrName(accountId, idOrName);
    const database = await this.databaseOf(accountId, sink);

    await this.checkSameDatabase(accountId, body.database, database, errors);
    if (body.name !== undefined && (await this.sinks.isNameTaken(accountId, body.name, sink.id)))
      errors.add(['name'], NAME_TAKEN);
    refuseUnavailableFeatures(body, errors);
    refuseInitialBackfillChange(body, sink, errors);
    const stored = asSinkDestination(sink.destination);
    const requested: CreateDestinationDto | PatchDestinationDto | undefined = body.destination;
    if (requested && requested.type !== stored.type) {
      errors.add(['destination', 'type'], `cannot be changed (this sink's destination is ${stored.type})`);
    }
    const source = body.source !== undefined ? normalizeSource(body.source) : sink.source;
    const tables = body.tables !== undefined ? normalizeTables(body.tables) : sink.tables;
    // Only a request that changes the scope is checked against the tables: a table dropped from the
    // publication since must not stop a sink from being paused or renamed.
    if (body.source !== undefined || body.tables !== undefined) checkScope(database.tables, source, tables, errors);
    if (!errors.isEmpty) throw errors.toError('sink');

    const saved = await this.nameChecked(() =>
      this.sinks.save(accountId, {
        ...sink,
        name: body.name ?? sink.name,
        destination: toStoredDestination(updateDestination(stored) ?? stored),
        status: body.status ?? sink.status,
        source,
        tables,
        actions: body.actions ?? sink.actions,
        messageGrouping: body.message_grouping ?? sink.messageGrouping,
        batchSize: body.batch_size ?? sink.batchSize,
        maxAckPending: body.max_ack_pending ?? sink.maxAckPending,
        maxRetryCount: body.max_retry_count === undefined ? sink.maxRetryCount : body.max_retry_count,
        ackWaitMs: body.ack_wait_ms ?? sink.ackWaitMs,
        maxWaiting: body.max_waiting ?? sink.maxWaiting,
        annotations: body.annotations ?? sink.annotations,
      }),
    );
    await this.notifier.changed({ accountId, databaseId: database.id });
    await this.notifyStreamRoutes(saved);
    const [observed, backfills] = await Promise.all([
      this.observations.observe(accountId, [saved]),
      this.runningBackfills(accountId, [saved]),
    ]);
    return {
      sink: saved,
      databaseName: database.name,
      observation: observed.get(saved.id),
      backfills: backfills.get(saved.id) ?? [],
    };
  }

  /** Active and paused backfills (what `active_backfills` shows), by sink id. */
  private async runningBackfills(accountId: string, sinks: readonly Sink[]): Promise<Map<string, Backfill[]>> {
    const bySink = new Map<string, Backfill[]>();
    const running = await this.backfills.runningOfSinks(
      accountId,
      sinks.map((sink) => sink.id),
    );
    for (const backfill of running) bySink.set(backfill.sinkId, [...(bySink.get(backfill.sinkId) ?? []), backfill]);
    return bySink;
  }

  /** All or none; when they cannot be written, the sink is removed again, so the request writes nothing. */
  private async startInitialBackfills(
    accountId: string,
    sink: Sink,
    tables: readonly DiscoveredTable[],
  ): Promise<Backfill[]> {
    try {
      return await this.backfills.createMany(
        accountId,
        tables.map((table) => newBackfill(sink.id, table)),
      );
    } catch (error) {
      await this.sinks.delete(accountId, { id: sink.id });
      await this.notifyStreamRoutes(sink);
      throw error;
    }
  }

  private async checkSameDatabase(
    accountId: string,
    requested: string | undefined,
    current: PostgresDatabase,
    errors: FieldErrors,
  ): Promise<void> {
    if (requested === undefined) return;
    const database = await this.databases.findByIdOrName(accountId, requested);
    if (!database) errors.add(['database'], 'not found');
    else if (database.id !== current.id)
      errors.add(['database'], `cannot be changed (this sink reads ${current.name})`);
  }

  /** The foreign key keeps a sink's database alive, so a missing one is a bug, not a 404. */
  private async databaseOf(accountId: string, sink: Sink): Promise<PostgresDatabase> {
    const database = await this.databases.findById(accountId, sink.postgresDatabaseId);
    if (!database) throw new Error(`Sink ${sink.id} refers to database ${sink.postgresDatabaseId}, which is missing`);
    return database;
  }

  /** A concurrent request may take the name between the check and the write: the index decides. */
  private async nameChecked(write: () => Promise<Sink>): Promise<Sink> {
    try {
      return await write();
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ValidationError('Invalid sink: name has already been taken', { name: [NAME_TAKEN] });
      throw error;
    }
  }
}
