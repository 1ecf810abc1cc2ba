import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { DeepPartial, Repository } from 'typeorm';
import { PostgresDatabase } from '../entities/postgres-database.entity.js';
import { ReplicationSlot } from '../entities/replication-slot.entity.js';
import { AccountScopedRepository } from '../tenancy/account-scoped.repository.js';

export interface DatabaseWithSlot {
  database: PostgresDatabase;
  slot: ReplicationSlot;
}

@Injectable()
export class PostgresDatabasesRepository extends AccountScopedRepository<PostgresDatabase> {
  constructor(@InjectRepository(PostgresDatabase) private readonly databases: Repository<PostgresDatabase>) {
    super(databases);
  }

  /** Inserts or updates a database and its one replication slot together: both or neither. */
  saveWithSlot(
    accountId: string,
    database: DeepPartial<PostgresDatabase>,
    slot: DeepPartial<ReplicationSlot>,
  ): Promise<DatabaseWithSlot> {
    return this.databases.manager.transaction(async (manager) => {
      const savedDatabase = await manager.save(PostgresDatabase, { ...database, accountId });
      const savedSlot = await manager.save(ReplicationSlot, {
        ...slot,
        accountId,
        postgresDatabaseId: savedDatabase.id,
      });
      return { database: savedDatabase, slot: savedSlot };
    });
  }
}
