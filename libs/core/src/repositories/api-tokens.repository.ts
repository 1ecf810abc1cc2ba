import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ApiToken } from '../entities/api-token.entity.js';
import { AccountScopedRepository } from '../tenancy/account-scoped.repository.js';

@Injectable()
export class ApiTokensRepository extends AccountScopedRepository<ApiToken> {
  constructor(@InjectRepository(ApiToken) private readonly tokens: Repository<ApiToken>) {
    super(tokens);
  }

  /**
   * Authentication is the one lookup that cannot know the account in advance: the token's hash
   * identifies it, and the result carries the account id every later query is scoped by.
   */
  findByHash(tokenHash: string): Promise<ApiToken | null> {
    return this.tokens.findOneBy({ tokenHash });
  }
}
