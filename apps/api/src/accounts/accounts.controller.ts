import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AccountId } from '../auth/current-account.decorator.js';
import { Public } from '../auth/public.decorator.js';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { toAccountDto } from './accounts.mapper.js';
import { AccountsService } from './accounts.service.js';
import { AccountDto, CreateAccountDto, SignupResponseDto } from './dto/account.dto.js';
import { SignupEnabledGuard } from './signup-enabled.guard.js';

@ApiTags('accounts')
@Controller()
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  /** Sign up: creates an account and its first API token (shown once, here). */
  @Public()
  @UseGuards(SignupEnabledGuard)
  @Post('accounts')
  @HttpCode(201)
  @ApiErrorResponses(400, 404, 413, 422)
  async signup(@Body() body: CreateAccountDto): Promise<SignupResponseDto> {
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
