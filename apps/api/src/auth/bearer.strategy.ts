import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { hashApiToken } from '#core/crypto/tokens.js';
import { ApiTokensRepository } from '#core/repositories/api-tokens.repository.js';
import type { AuthenticatedAccount } from './authenticated-account.js';

/** Looks the token up on every request (no cache), so a deleted token stops working at once. */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(private readonly tokens: ApiTokensRepository) {
    super();
  }

  async validate(token: string): Promise<AuthenticatedAccount | false> {
    const found = await this.tokens.findByHash(hashApiToken(token));
    return found ? { accountId: found.accountId, tokenId: found.id } : false;
  }
}
