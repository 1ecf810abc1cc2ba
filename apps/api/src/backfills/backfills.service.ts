import { Injectable } from '@nestjs/common';
import { Vault } from '#core/crypto/vault.js';
import { isUniqueViolation } from '#core/database/pg-errors.js';
import type { Backfill, BackfillState } from '#core/entities/backfill.entity.js';
import type { DiscoveredTable, PostgresDatabase } from '#core/entities/postgres-database.entity.js';
import type { Sink } from '#core/entities/sink.entity.js';
import { NotFoundError, ValidationError } from '#core/errors/api-errors.js';
import { Notifier } from '#core/queues/notifier.js';
import { BackfillsRepository } from '#core/repositories/backfills.repository.js';
import { PostgresDatabasesRepository } from '#core/repositories/postgres-databases.repository.js';
import { SinksRepository } from '#core/repositories/sinks.repository.js';
import { isUuid } from '#core/tenancy/account-scoped.repository.js';
import { FieldErrors } from '../common/validation/field-errors.js';
import { type BackfillStart, newBackfill, resolveBackfillStart, resolveBackfillTable } from './backfill-tables.js';
import { statesAllowedBefore, transitionRefusal } from './backfill-transitions.js';
import type { CreateBackfillDto } from './dto/backfill-input.dto.js';
import { startPositionProblem } from './start-position.js';

export const ALREADY_RUNNING = 'a backfill of this table is already running';

/** The partial unique index that allows one active or paused backfill per sink and table. */
const ONE_RUNNING_INDEX = 'backfills_one_running';

const violates = (error: unknown, constraint: string): boolean =>
  isUniqueViolation(error) &&
  ((error as { driverError?: { constraint?: string } }).driverError?.constraint ??
    (error as { constraint?: string }).constraint) === constraint;

/** A backfill with its sink, whose name the response carries. */
export interface BackfillRecord {
  sink: Sink;
  backfill: Backfill;
}

@Injectable()
export class BackfillsService {
  constructor(
    private readonly backfills: BackfillsRepository,
    private readonly sinks: SinksRepository,
    private readonly databases: PostgresDatabasesRepository,
    private readonly vault: Vault,
    private readonly notifier: Notifier,
  ) {}

  /** The sink's backfills, newest first. */
  async list(accountId: string, sinkIdOrName: string): Promise<BackfillRecord[]> {
    const sink = await this.sinks.getByIdOrName(accountId, sinkIdOrName);
    return (await this.backfills.listOfSink(accountId, sink.id)).map((backfill) => ({ sink, backfill }));
  }

  async get(accountId: string, sinkIdOrName: string, id: string): Promise<BackfillRecord> {
    const sink = await this.sinks.getByIdOrName(accountId, sinkIdOrName);
    return { sink, backfill: await this.find(accountId, sink, id) };
  }

  /** Validates the table and the start against the sink's scope and the discovered tables, then starts it. */
  async create(accountId: string, sinkIdOrName: string, body: CreateBackfillDto): Promise<BackfillRecord> {
    const sink = await this.sinks.getByIdOrName(accountId, sinkIdOrName);
    const errors = new FieldErrors();
    const database = await this.databaseOf(accountId, sink);
    const table = resolveBackfillTable(database.tables, sink.source, body.table, errors);
    const start = table ? resolveBackfillStart(table, body, errors) : undefined;
    if (!table || !start || !errors.isEmpty) throw errors.toError('backfill');
    await this.checkStartPosition(database, table, start, errors);
    if (!errors.isEmpty) throw errors.toError('backfill');

    const backfill = await this.insert(accountId, sink, table, start);
    await this.notifier.changed({ accountId, databaseId: sink.postgresDatabaseId });
    return { sink, backfill };
  }

  /** Pauses, resumes or cancels; a backfill the worker completes or fails meanwhile keeps that state. */
  async changeState(accountId: string, sinkIdOrName: string, id: string, to: BackfillState): Promise<BackfillRecord> {
    const sink = await this.sinks.getByIdOrName(accountId, sinkIdOrName);
    const current = await this.find(accountId, sink, id);
    this.refuseTransition(current.state, to);
    const moved = await this.backfills.transition(accountId, current.id, statesAllowedBefore(to), to);
    if (!moved) {
      this.refuseTransition((await this.find(accountId, sink, id)).state, to);
      throw new Error(`Backfill ${id} could not move to ${to}, yet its state allows it`);
    }
    await this.notifier.changed({ accountId, databaseId: sink.postgresDatabaseId });
    return { sink, backfill: moved };
  }

  private refuseTransition(from: BackfillState, to: BackfillState): void {
    const refusal = transitionRefusal(from, to);
    if (refusal) throw new ValidationError(`Invalid backfill: state ${refusal}`, { state: [refusal] });
  }

  private async checkStartPosition(
    database: PostgresDatabase,
    table: DiscoveredTable,
    start: BackfillStart,
    errors: FieldErrors,
  ): Promise<void> {
    const column = table.columns.find((candidate) => candidate.name === start.sortColumn);
    if (!column || start.startPosition === null) return;
    const problem = await startPositionProblem(database, this.vault, column, start.startPosition);
    if (problem) errors.add(['start_position'], `is not a valid ${column.type} for ${column.name}: ${problem}`);
  }

  /** The partial unique index decides between concurrent requests for the same table. */
  private async insert(accountId: string, sink: Sink, table: DiscoveredTable, start: BackfillStart): Promise<Backfill> {
    try {
      return await this.backfills.save(accountId, newBackfill(sink.id, table, start));
    } catch (error) {
      if (violates(error, ONE_RUNNING_INDEX))
        throw new ValidationError(`Invalid backfill: ${ALREADY_RUNNING}`, { table: [ALREADY_RUNNING] });
      throw error;
    }
  }

  /** Another sink's backfill is reported like a missing one. */
  private async find(accountId: string, sink: Sink, id: string): Promise<Backfill> {
    const backfill = isUuid(id) ? await this.backfills.findOne(accountId, { id, sinkId: sink.id }) : null;
    if (!backfill) throw NotFoundError.of('backfill', id);
    return backfill;
  }

  /** The foreign key keeps a sink's database alive, so a missing one is a bug, not a 404. */
  private async databaseOf(accountId: string, sink: Sink): Promise<PostgresDatabase> {
    const database = await this.databases.findById(accountId, sink.postgresDatabaseId);
    if (!database) throw new Error(`Sink ${sink.id} refers to database ${sink.postgresDatabaseId}, which is missing`);
    return database;
  }
}
