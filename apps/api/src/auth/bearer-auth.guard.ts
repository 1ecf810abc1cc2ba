import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { Passport } from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { hashApiToken } from '#core/crypto/tokens.js';
import { ApiTokensRepository } from '#core/repositories/api-tokens.repository.js';
import type { AuthenticatedAccount } from './authenticated-account.js';
import { IS_PUBLIC } from './public.decorator.js';

/**
 * Global guard: every route needs a valid bearer token unless marked @Public(). Uses its own Passport
 * instance, not the global one, so two applications in one process (tests, restarts) never use each
 * other's strategy. The token is looked up on every request (no cache): a deleted token stops at once.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly passport = new Passport();

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: ApiTokensRepository,
  ) {
    this.passport.use(
      new BearerStrategy((token, done) => {
        this.authenticate(token).then((account) => done(null, account), done);
      }),
    );
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<Request & { user?: AuthenticatedAccount }>();
    // passport-http-bearer also takes `access_token` from the query or the body; a token in a URL ends
    // up in proxies' and servers' logs, so only the header is accepted.
    if (carriesAccessToken(request.query) || carriesAccessToken(request.body)) {
      throw new UnauthorizedException(
        'API tokens are accepted only in the Authorization header (Bearer), not as access_token in the URL or body',
      );
    }
    const account = await new Promise<AuthenticatedAccount | false>((resolve, reject) => {
      const authenticate = this.passport.authenticate(
        'bearer',
        { session: false },
        (error: unknown, user: AuthenticatedAccount | false) => (error ? reject(error) : resolve(user)),
      );
      authenticate(request, http.getResponse<Response>(), reject);
    });
    if (!account) throw new UnauthorizedException('Missing or invalid API token: send Authorization: Bearer <token>');
    request.user = account;
    return true;
  }

  private async authenticate(token: string): Promise<AuthenticatedAccount | false> {
    const found = await this.tokens.findByHash(hashApiToken(token));
    return found ? { accountId: found.accountId, tokenId: found.id } : false;
  }
}

function carriesAccessToken(fields: unknown): boolean {
  return typeof fields === 'object' && fields !== null && Object.hasOwn(fields, 'access_token');
}
