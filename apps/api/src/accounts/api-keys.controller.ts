import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AccountId } from '../auth/current-account.decorator.js';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { SuccessResponseDto } from '../common/dto/success-response.dto.js';
import { toApiKeyDto } from './accounts.mapper.js';
import { AccountsService } from './accounts.service.js';
import { ApiKeyListDto, CreateApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto.js';

@ApiTags('api_keys')
@ApiBearerAuth()
@Controller('api_keys')
export class ApiKeysController {
  constructor(private readonly accounts: AccountsService) {}

  /** The account's API keys (never their tokens). */
  @Get()
  @ApiErrorResponses(401)
  async list(@AccountId() accountId: string): Promise<ApiKeyListDto> {
    return { data: (await this.accounts.listTokens(accountId)).map(toApiKeyDto) };
  }

  /** Creates an API key; the plain token is in this response only. */
  @Post()
  @HttpCode(201)
  @ApiErrorResponses(400, 401, 413, 422)
  async create(@AccountId() accountId: string, @Body() body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    const { token, plainToken } = await this.accounts.createToken(accountId, body.name);
    return { ...toApiKeyDto(token), token: plainToken };
  }

  /** Deletes an API key; its token stops working at once. */
  @Delete(':id')
  @ApiErrorResponses(401, 404)
  async remove(@AccountId() accountId: string, @Param('id') id: string): Promise<SuccessResponseDto> {
    await this.accounts.deleteToken(accountId, id);
    return { success: true };
  }
}
