import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { ReplicationSlot } from '../entities/replication-slot.entity.js';
import { AccountScopedRepository } from '../tenancy/account-scoped.repository.js';

@Injectable()
export class ReplicationSlotsRepository extends AccountScopedRepository<ReplicationSlot> {
  constructor(@InjectRepository(ReplicationSlot) repository: Repository<ReplicationSlot>) {
    super(repository);
  }

  findByDatabaseId(accountId: string, postgresDatabaseId: string): Promise<ReplicationSlot | null> {
    return this.findOne(accountId, { postgresDatabaseId });
  }

  findByDatabaseIds(accountId: string, postgresDatabaseIds: string[]): Promise<ReplicationSlot[]> {
    if (postgresDatabaseIds.length === 0) return Promise.resolve([]);
    return this.find(accountId, { postgresDatabaseId: In(postgresDatabaseIds) });
  }
}
