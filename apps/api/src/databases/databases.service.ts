import { Injectable } from '@nestjs/common';
import { Vault } from '#core/crypto/vault.js';
import { isUniqueViolation } from '#core/database/pg-errors.js';
import type { PostgresDatabase } from '#core/entities/postgres-database.entity.js';
import type { ReplicationSlot } from '#core/entities/replication-slot.entity.js';
import { Notifier } from '#core/queues/notifier.js';
import { NotFoundError, ValidationError } from '#core/errors/api-errors.js';
import {
  type DatabaseWithSlot,
  PostgresDatabasesRepository,
} from '#core/repositories/postgres-databases.repository.js';
import { ReplicationSlotsRepository } from '#core/repositories/replication-slots.repository.js';
import { SinksRepository } from '#core/repositories/sinks.repository.js';
import { type SourceConnectionParams, sourceConnectionParams } from '#core/source/source-connection.js';
import {
  checkSource,
  type CreatedObjects,
  type PreparedSource,
  prepareSource,
  readSourceTables,
  undoSourceSetup,
} from '#core/source/source-preparation.js';
import { SourceProblemError } from '#core/source/source-problem.js';
import type { ReplicationTarget } from '#core/source/source-readiness.js';
import { connectionFromCreate, connectionFromUpdate, sameConnection, usesUrl } from './connection-input.js';
import type { CreatePostgresDatabaseDto, UpdatePostgresDatabaseDto } from './dto/postgres-database.dto.js';
import { connectionTestFailure, sourceValidationError, upstreamError } from './source-problem-responses.js';

const KIND = 'postgres database';
const NOTHING_CREATED: CreatedObjects = { publication: false, slot: false };

interface SetupFlags {
  create_slot_if_missing?: boolean;
  create_publication_if_missing?: boolean;
}

const nameTaken = (): ValidationError =>
  new ValidationError('Postgres database name has already been taken', { name: ['has already been taken'] });

/** SQLSTATE 23503: a sink created since the check still references the database. */
const isForeignKeyViolation = (error: unknown): boolean =>
  ((error as { driverError?: { code?: string } } | null)?.driverError?.code ??
    (error as { code?: string } | null)?.code) === '23503';

const targetOf = (slot: ReplicationSlot): ReplicationTarget => ({
  publicationName: slot.publicationName,
  slotName: slot.slotName,
});

@Injectable()
export class DatabasesService {
  constructor(
    private readonly vault: Vault,
    private readonly databases: PostgresDatabasesRepository,
    private readonly slots: ReplicationSlotsRepository,
    private readonly sinks: SinksRepository,
    private readonly notifier: Notifier,
  ) {}

  async list(accountId: string): Promise<DatabaseWithSlot[]> {
    const databases = await this.databases.find(accountId, {}, { insertedAt: 'ASC' });
    const slots = await this.slots.findByDatabaseIds(
      accountId,
      databases.map((d) => d.id),
    );
    const slotByDatabase = new Map(slots.map((slot) => [slot.postgresDatabaseId, slot]));
    return databases.map((database) => ({
      database,
      slot: this.requireSlot(database, slotByDatabase.get(database.id)),
    }));
  }

  async get(accountId: string, idOrName: string): Promise<DatabaseWithSlot> {
    const database = await this.databases.findByIdOrName(accountId, idOrName);
    if (!database) throw NotFoundError.of(KIND, idOrName);
    return { database, slot: this.requireSlot(database, await this.slots.findByDatabaseId(accountId, database.id)) };
  }

  /** Tests (and optionally sets up) the source first: nothing is stored for a source that cannot be used. */
  async create(accountId: string, body: CreatePostgresDatabaseDto): Promise<DatabaseWithSlot> {
    await this.assertNameFree(accountId, body.name);
    const params = connectionFromCreate(body);
    const [slotInput] = body.replication_slots;
    const target = { publicationName: slotInput.publication_name, slotName: slotInput.slot_name };
    const prepared = await this.prepare(params, target, body, usesUrl(body));
    const saved = await this.saveOrUndo(
      accountId,
      params,
      target,
      prepared.created,
      {
        name: body.name,
        ...this.connectionColumns(params),
        annotations: body.annotations ?? {},
        tables: prepared.tables,
      },
      { ...target, status: slotInput.status ?? 'active' },
    );
    await this.notifier.changed({ accountId, databaseId: saved.database.id });
    return saved;
  }

  /** Re-tests the source only when what replication depends on changes. */
  async update(accountId: string, idOrName: string, body: UpdatePostgresDatabaseDto): Promise<DatabaseWithSlot> {
    const { database, slot } = await this.get(accountId, idOrName);
    // JSON null counts as absent, as IsOptional lets it through.
    if (typeof body.name === 'string' && body.name !== database.name) await this.assertNameFree(accountId, body.name);
    const currentParams = sourceConnectionParams(database, this.vault);
    const params = connectionFromUpdate(currentParams, body);
    const [slotInput] = body.replication_slots ?? [];
    const target = {
      publicationName: slotInput?.publication_name ?? slot.publicationName,
      slotName: slotInput?.slot_name ?? slot.slotName,
    };
    const sourceChanged =
      !sameConnection(currentParams, params) ||
      target.publicationName !== slot.publicationName ||
      target.slotName !== slot.slotName ||
      body.create_publication_if_missing === true ||
      body.create_slot_if_missing === true;
    const prepared: PreparedSource = sourceChanged
      ? await this.prepare(params, target, body, usesUrl(body))
      : { tables: database.tables, created: NOTHING_CREATED };
    const passwordEncrypted = params.password === currentParams.password ? database.passwordEncrypted : undefined;
    const saved = await this.saveOrUndo(
      accountId,
      params,
      target,
      prepared.created,
      {
        id: database.id,
        name: body.name ?? database.name,
        ...this.connectionColumns(params, passwordEncrypted),
        annotations: body.annotations ?? database.annotations,
        tables: prepared.tables,
      },
      { id: slot.id, ...target, status: slotInput?.status ?? slot.status },
    );
    await this.notifier.changed({ accountId, databaseId: database.id });
    return saved;
  }

  /** Refused while a sink uses the database; the source's slot and publication are left as they are. */
  async remove(accountId: string, idOrName: string): Promise<string> {
    const { database } = await this.get(accountId, idOrName);
    await this.assertUnused(accountId, database);
    try {
      await this.databases.delete(accountId, { id: database.id });
    } catch (error) {
      if (isForeignKeyViolation(error)) await this.assertUnused(accountId, database);
      throw error;
    }
    await this.notifier.changed({ accountId, databaseId: database.id });
    return database.id;
  }

  async testConnection(accountId: string, idOrName: string): Promise<void> {
    const { database, slot } = await this.get(accountId, idOrName);
    try {
      await checkSource(sourceConnectionParams(database, this.vault), targetOf(slot));
    } catch (error) {
      if (error instanceof SourceProblemError) throw connectionTestFailure(error.problem);
      throw error;
    }
  }

  async refreshTables(accountId: string, idOrName: string): Promise<void> {
    const { database, slot } = await this.get(accountId, idOrName);
    let tables: PostgresDatabase['tables'];
    try {
      tables = await readSourceTables(sourceConnectionParams(database, this.vault), slot.publicationName);
    } catch (error) {
      if (error instanceof SourceProblemError) throw upstreamError(error.problem);
      throw error;
    }
    // Only the tables column: a concurrent update of the other fields must not be reverted.
    await this.databases.save(accountId, { id: database.id, tables });
  }

  private async prepare(
    params: SourceConnectionParams,
    target: ReplicationTarget,
    flags: SetupFlags,
    usedUrl: boolean,
  ): Promise<PreparedSource> {
    try {
      return await prepareSource(params, target, {
        createPublicationIfMissing: flags.create_publication_if_missing ?? false,
        createSlotIfMissing: flags.create_slot_if_missing ?? false,
      });
    } catch (error) {
      if (error instanceof SourceProblemError) throw sourceValidationError(error.problem, usedUrl);
      throw error;
    }
  }

  /** A failed save drops what prepare created on the source, so a refused request leaves nothing anywhere. */
  private async saveOrUndo(
    accountId: string,
    params: SourceConnectionParams,
    target: ReplicationTarget,
    created: CreatedObjects,
    database: Partial<PostgresDatabase>,
    slot: Partial<ReplicationSlot>,
  ): Promise<DatabaseWithSlot> {
    try {
      return await this.databases.saveWithSlot(accountId, database, slot);
    } catch (error) {
      await undoSourceSetup(params, target, created);
      if (isUniqueViolation(error)) throw nameTaken();
      throw error;
    }
  }

  /** The password is re-encrypted only when it changed. */
  private connectionColumns(params: SourceConnectionParams, passwordEncrypted?: string): Partial<PostgresDatabase> {
    return {
      hostname: params.hostname,
      port: params.port,
      database: params.database,
      username: params.username,
      ssl: params.ssl,
      passwordEncrypted: passwordEncrypted ?? this.vault.encrypt(params.password),
    };
  }

  private async assertNameFree(accountId: string, name: string): Promise<void> {
    if (await this.databases.findOne(accountId, { name })) throw nameTaken();
  }

  private async assertUnused(accountId: string, database: PostgresDatabase): Promise<void> {
    const sinks = await this.sinks.find(accountId, { postgresDatabaseId: database.id }, { name: 'ASC' });
    if (sinks.length === 0) return;
    throw new ValidationError(
      `Postgres database "${database.name}" is used by ${sinks.length} sink(s); delete or move them first`,
      { sinks: sinks.map((sink) => `sink "${sink.name}" uses this database`) },
    );
  }

  /** Create and update write both rows in one transaction, so a database without its slot is a bug. */
  private requireSlot(database: PostgresDatabase, slot: ReplicationSlot | null | undefined): ReplicationSlot {
    if (!slot) throw new Error(`postgres database ${database.id} has no replication slot`);
    return slot;
  }
}
