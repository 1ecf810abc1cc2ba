import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ReplicationSlot } from '../entities/replication-slot.entity.js';
import { AccountScopedRepository } from '../tenancy/account-scoped.repository.js';

@Injectable()
export class ReplicationSlotsRepository extends AccountScopedRepository<ReplicationSlot> {
  constructor(@InjectRepository(ReplicationSlot) repository: Repository<ReplicationSlot>) {
    super(repository);
  }
}
