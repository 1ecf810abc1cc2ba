import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedAccount } from './authenticated-account.js';

/** The id of the token's account: the scope of every query the route makes. */
export const AccountId = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const request = context.switchToHttp().getRequest<{ user: AuthenticatedAccount }>();
  return request.user.accountId;
});
