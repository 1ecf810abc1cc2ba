import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AccountId } from '../auth/current-account.decorator.js';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { type BackfillRecord, BackfillsService } from './backfills.service.js';
import { toBackfillDto } from './backfills.mapper.js';
import { CreateBackfillDto, UpdateBackfillDto } from './dto/backfill-input.dto.js';
import { BackfillDto, BackfillListDto } from './dto/backfill.dto.js';

const toDto = ({ sink, backfill }: BackfillRecord): BackfillDto => toBackfillDto(backfill, sink.name);

/** A sink's backfills: its tables' current rows delivered as `read` messages, alongside live changes. */
@ApiTags('backfills')
@ApiBearerAuth()
@Controller('sinks/:sink_id_or_name/backfills')
export class BackfillsController {
  constructor(private readonly backfills: BackfillsService) {}

  /**
   * Starts a backfill of one table of the sink (which may be left out when the sink reads one table).
   * The table needs a primary key; `sort_column` with `start_position` makes a partial backfill. One
   * active or paused backfill per sink and table.
   */
  @Post()
  @HttpCode(201)
  @ApiErrorResponses(400, 401, 404, 413, 422, 502, 504)
  async create(
    @AccountId() accountId: string,
    @Param('sink_id_or_name') sinkIdOrName: string,
    @Body() body: CreateBackfillDto,
  ): Promise<BackfillDto> {
    return toDto(await this.backfills.create(accountId, sinkIdOrName, body));
  }

  /** The sink's backfills, newest first. */
  @Get()
  @ApiErrorResponses(401, 404)
  async list(@AccountId() accountId: string, @Param('sink_id_or_name') sinkIdOrName: string): Promise<BackfillListDto> {
    return { data: (await this.backfills.list(accountId, sinkIdOrName)).map(toDto) };
  }

  /** A backfill of the sink by id. */
  @Get(':id')
  @ApiErrorResponses(401, 404)
  async get(
    @AccountId() accountId: string,
    @Param('sink_id_or_name') sinkIdOrName: string,
    @Param('id') id: string,
  ): Promise<BackfillDto> {
    return toDto(await this.backfills.get(accountId, sinkIdOrName, id));
  }

  /** Pauses (`paused`), resumes (`active`) or cancels (`cancelled`) a backfill; other changes → 422. */
  @Patch(':id')
  @ApiErrorResponses(400, 401, 404, 413, 422)
  patch(
    @AccountId() accountId: string,
    @Param('sink_id_or_name') sinkIdOrName: string,
    @Param('id') id: string,
    @Body() body: UpdateBackfillDto,
  ): Promise<BackfillDto> {
    return this.changeState(accountId, sinkIdOrName, id, body);
  }

  /** Same as PATCH. */
  @Put(':id')
  @ApiErrorResponses(400, 401, 404, 413, 422)
  replace(
    @AccountId() accountId: string,
    @Param('sink_id_or_name') sinkIdOrName: string,
    @Param('id') id: string,
    @Body() body: UpdateBackfillDto,
  ): Promise<BackfillDto> {
    return this.changeState(accountId, sinkIdOrName, id, body);
  }

  private async changeState(
    accountId: string,
    sinkIdOrName: string,
    id: string,
    body: UpdateBackfillDto,
  ): Promise<BackfillDto> {
    return toDto(await this.backfills.changeState(accountId, sinkIdOrName, id, body.state));
  }
}
