import { Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { SLUICE_CONFIG } from '#core/config/config.tokens.js';
import type { SluiceConfig } from '#core/config/config.js';
import { NotFoundError } from '#core/errors/api-errors.js';
import { AccountId } from '../auth/current-account.decorator.js';
import { Public } from '../auth/public.decorator.js';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { toAccountDto } from './accounts.mapper.js';
import { AccountsService } from './accounts.service.js';
import { AccountDto, CreateAccountDto, SignupResponseDto } from './dto/account.dto.js';

@ApiTags('accounts')
@Controller()
export class AccountsController {
  constructor(
    private readonly accounts: AccountsService,
    @Inject(SLUICE_CONFIG) private readonly config: SluiceConfig,
  ) {}

  /** Sign up: creates an account and its first API token (shown once, here). */
  @Public()
  @Post('accounts')
  @HttpCode(201)
  @ApiErrorResponses(400, 404, 413, 422)
  async signup(@Body() body: CreateAccountDto): Promise<SignupResponseDto> {
    if (!this.config.signupEnabled) throw new NotFoundError('Signup is disabled on this server');
    const { account, token, plainToken } = await this.accounts.signup(body.name);
    return { account: toAccountDto(account), api_token: { id: token.id, name: token.name, token: plainToken } };
  }

  /** The account the token belongs to. */
  @ApiBearerAuth()
  @Get('account')
  @ApiErrorResponses(401)
  async current(@AccountId() accountId: string): Promise<AccountDto> {
    return toAccountDto(await this.accounts.get(accountId));
  }
}
