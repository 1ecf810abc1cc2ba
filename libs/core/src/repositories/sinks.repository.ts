import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Sink } from '../entities/sink.entity.js';
import { AccountScopedRepository } from '../tenancy/account-scoped.repository.js';

@Injectable()
export class SinksRepository extends AccountScopedRepository<Sink> {
  constructor(@InjectRepository(Sink) repository: Repository<Sink>) {
    super(repository);
  }
}
