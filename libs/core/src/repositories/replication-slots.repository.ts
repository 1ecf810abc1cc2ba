import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { ReplicationSlot } from '../entities/replication-slot.entity.js';
import { AccountScopedRepository } from '../tenancy/account-scoped.repository.js';

@Injectable()
export class ReplicationSlotsRepository extends AccountScopedRepository<ReplicationSlot> {
  constructor(@InjectRepository(ReplicationSlot) private readonly slots: Repository<ReplicationSlot>) {
    super(slots);
  }

  /**
   * The one cross-account read: the worker's scheduler must find every active slot to start its
   * reader. It returns only what identifies the work; readers load the rest through scoped queries.
   */
  listActiveForScheduling(): Promise<Array<Pick<ReplicationSlot, 'id' | 'accountId' | 'postgresDatabaseId'>>> {
    return this.slots.find({
      where: { status: 'active' },
      select: { id: true, accountId: true, postgresDatabaseId: true },
    });
  }

  findByDatabaseId(accountId: string, postgresDatabaseId: string): Promise<ReplicationSlot | null> {
    return this.findOne(accountId, { postgresDatabaseId });
  }

  findByDatabaseIds(accountId: string, postgresDatabaseIds: string[]): Promise<ReplicationSlot[]> {
    if (postgresDatabaseIds.length === 0) return Promise.resolve([]);
    return this.find(accountId, { postgresDatabaseId: In(postgresDatabaseIds) });
  }
}
