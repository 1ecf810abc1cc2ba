import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Account } from '../entities/account.entity.js';

/** Accounts are the tenants themselves, so lookups are by the account's own id or unique name. */
@Injectable()
export class AccountsRepository {
  constructor(@InjectRepository(Account) private readonly repository: Repository<Account>) {}

  findById(accountId: string): Promise<Account | null> {
    return this.repository.findOneBy({ id: accountId });
  }

  findByName(name: string): Promise<Account | null> {
    return this.repository.findOneBy({ name });
  }
}
