import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Not, type Repository } from 'typeorm';
import { Sink } from '../entities/sink.entity.js';
import { NotFoundError } from '../errors/api-errors.js';
import { AccountScopedRepository } from '../tenancy/account-scoped.repository.js';

@Injectable()
export class SinksRepository extends AccountScopedRepository<Sink> {
  constructor(@InjectRepository(Sink) repository: Repository<Sink>) {
    super(repository);
  }

  /** The sink at an API path's `:id_or_name`, or a 404. */
  async getByIdOrName(accountId: string, idOrName: string): Promise<Sink> {
    const sink = await this.findByIdOrName(accountId, idOrName);
    if (!sink) throw NotFoundError.of('sink', idOrName);
    return sink;
  }

  /** Whether another sink of the account has this name (`exceptId`: the sink being renamed). */
  async isNameTaken(accountId: string, name: string, exceptId?: string): Promise<boolean> {
    const where = exceptId === undefined ? { name } : { name, id: Not(exceptId) };
    return (await this.count(accountId, where)) > 0;
  }
}
