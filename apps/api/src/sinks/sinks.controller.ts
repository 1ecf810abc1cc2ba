import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiTags } from '@nestjs/swagger';
import { Vault } from '#core/crypto/vault.js';
import { AccountId } from '../auth/current-account.decorator.js';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import {
  CREATE_DESTINATION_VARIANTS,
  DESTINATION_VARIANTS,
  PATCH_DESTINATION_VARIANTS,
} from './dto/destination.dto.js';
import { CreateSinkDto, PatchSinkDto, UpdateSinkDto } from './dto/sink-input.dto.js';
import { DeletedSinkDto, SinkDto, SinkListDto } from './dto/sink.dto.js';
import { toSinkDto } from './sinks.mapper.js';
import { SinksService } from './sinks.service.js';

@ApiTags('sinks')
@ApiBearerAuth()
@ApiExtraModels(
  ...Object.values(CREATE_DESTINATION_VARIANTS),
  ...Object.values(PATCH_DESTINATION_VARIANTS),
  ...Object.values(DESTINATION_VARIANTS),
)
@Controller('sinks')
export class SinksController {
  constructor(
    private readonly sinks: SinksService,
    private readonly vault: Vault,
  ) {}

  /** Creates a sink; it receives the changes committed from the source's current WAL position on (`start_lsn`). */
  @Post()
  @HttpCode(201)
  @ApiErrorResponses(400, 401, 413, 422, 502, 504)
  async create(@AccountId() accountId: string, @Body() body: CreateSinkDto): Promise<SinkDto> {
    return toSinkDto(await this.sinks.create(accountId, body), this.vault);
  }

  /** The account's sinks, oldest first. */
  @Get()
  @ApiErrorResponses(401)
  async list(@AccountId() accountId: string): Promise<SinkListDto> {
    return { data: (await this.sinks.list(accountId)).map((record) => toSinkDto(record, this.vault)) };
  }

  /** A sink by id or name. */
  @Get(':id_or_name')
  @ApiErrorResponses(401, 404)
  async get(@AccountId() accountId: string, @Param('id_or_name') idOrName: string): Promise<SinkDto> {
    return toSinkDto(await this.sinks.get(accountId, idOrName), this.vault);
  }

  /** Updates the given fields; a given destination replaces the stored one (the password is kept when left out). */
  @Put(':id_or_name')
  @ApiErrorResponses(400, 401, 404, 413, 422)
  async replace(
    @AccountId() accountId: string,
    @Param('id_or_name') idOrName: string,
    @Body() body: UpdateSinkDto,
  ): Promise<SinkDto> {
    return toSinkDto(await this.sinks.replace(accountId, idOrName, body), this.vault);
  }

  /** Updates the given fields; destination fields are merged over the stored destination. */
  @Patch(':id_or_name')
  @ApiErrorResponses(400, 401, 404, 413, 422)
  async patch(
    @AccountId() accountId: string,
    @Param('id_or_name') idOrName: string,
    @Body() body: PatchSinkDto,
  ): Promise<SinkDto> {
    return toSinkDto(await this.sinks.patch(accountId, idOrName, body), this.vault);
  }

  /** Deletes a sink. */
  @Delete(':id_or_name')
  @ApiErrorResponses(401, 404)
  async remove(@AccountId() accountId: string, @Param('id_or_name') idOrName: string): Promise<DeletedSinkDto> {
    return { id: await this.sinks.remove(accountId, idOrName), deleted: true };
  }
}
