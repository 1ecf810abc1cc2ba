import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { PostgresDatabase } from '../entities/postgres-database.entity.js';
import { AccountScopedRepository } from '../tenancy/account-scoped.repository.js';

@Injectable()
export class PostgresDatabasesRepository extends AccountScopedRepository<PostgresDatabase> {
  constructor(@InjectRepository(PostgresDatabase) repository: Repository<PostgresDatabase>) {
    super(repository);
  }
}
