import { type CanActivate, Inject, Injectable } from '@nestjs/common';
import { SLUICE_CONFIG } from '#core/config/config.tokens.js';
import type { SluiceConfig } from '#core/config/config.js';
import { NotFoundError } from '#core/errors/api-errors.js';

/**
 * With SLUICE_SIGNUP=false the signup route does not exist: 404 before its body is read or
 * validated, so a disabled route does not show how it would have answered.
 */
@Injectable()
export class SignupEnabledGuard implements CanActivate {
  constructor(@Inject(SLUICE_CONFIG) private readonly config: SluiceConfig) {}

  canActivate(): boolean {
    if (!this.config.signupEnabled) throw new NotFoundError('Signup is disabled on this server');
    return true;
  }
}
