import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AccountId } from '../../auth/current-account.decorator.js';
import { ApiErrorResponses } from '../../common/api-error-responses.decorator.js';
import { SuccessResponseDto } from '../../common/dto/success-response.dto.js';
import { DiscardMessagesDto, MESSAGE_STATES, RedeliverMessagesDto, SinkMessageListDto } from './dto/message.dto.js';
import { DEFAULT_MESSAGE_LIMIT, MAX_MESSAGE_LIMIT, parseMessageQuery } from './message-query.js';
import { SinkMessagesService } from './messages.service.js';

/**
 * A sink's messages (Sluice extension): what waits, what fails, what was dead-lettered, what was
 * delivered last; failing and dead messages can be redelivered or discarded. A message's `id` is its
 * idempotency key.
 */
@ApiTags('sinks')
@ApiBearerAuth()
@Controller('sinks/:id_or_name/messages')
export class SinkMessagesController {
  constructor(private readonly messages: SinkMessagesService) {}

  /**
   * Messages of the sink in one state: `pending` (held by the reader, not yet attempted — the oldest
   * 100 at most), `failing` (failed at least once, being retried), `dead` (dead-lettered after
   * max_retry_count attempts), `delivered` (the most recent, newest first — 100 at most). Failing and
   * dead messages come in commit order. A sequin_stream sink lists its stream, oldest first, with
   * each message's `ack_id`: `pending` never received, `outstanding` received and not acked,
   * `failing` not acked in time or nacked (redelivered or due again); acked messages are gone, so
   * `delivered` and `dead` are empty. `outstanding` is for sequin_stream sinks only (400 otherwise).
   */
  @Get()
  @ApiQuery({ name: 'state', required: true, enum: MESSAGE_STATES })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: MAX_MESSAGE_LIMIT, default: DEFAULT_MESSAGE_LIMIT },
  })
  @ApiOkResponse({ type: SinkMessageListDto })
  @ApiErrorResponses(400, 401, 404)
  async list(
    @AccountId() accountId: string,
    @Param('id_or_name') idOrName: string,
    @Query() query: Record<string, unknown>,
  ): Promise<SinkMessageListDto> {
    const sink = await this.messages.find(accountId, idOrName);
    return { data: await this.messages.list(sink, parseMessageQuery(query)) };
  }

  /**
   * Delivers failing and dead messages again now: failing ones through the reader that holds them (in
   * their group's order), dead ones through a maintenance job, in commit order. Without `ids`: every
   * failing message of the sink (as the spec has it); dead-lettered ones only by their ids. The sink
   * must be active (else 422).
   */
  @Post('redeliver')
  @HttpCode(200)
  @ApiBody({ type: RedeliverMessagesDto, required: false })
  @ApiOkResponse({ type: SuccessResponseDto })
  @ApiErrorResponses(400, 401, 404, 413, 422)
  async redeliver(
    @AccountId() accountId: string,
    @Param('id_or_name') idOrName: string,
    @Body() body: RedeliverMessagesDto,
  ): Promise<SuccessResponseDto> {
    const sink = await this.messages.find(accountId, idOrName);
    // Without a body the pipe passes undefined on (after validating it as {}).
    await this.messages.redeliver(sink, (body as RedeliverMessagesDto | undefined)?.ids ?? null);
    return { success: true };
  }

  /**
   * Gives up on messages: the reader drops those it holds (the rest of their group continues) and
   * their failing or dead records are deleted. They are not delivered again.
   */
  @Post('discard')
  @HttpCode(200)
  @ApiOkResponse({ type: SuccessResponseDto })
  @ApiErrorResponses(400, 401, 404, 413, 422)
  async discard(
    @AccountId() accountId: string,
    @Param('id_or_name') idOrName: string,
    @Body() body: DiscardMessagesDto,
  ): Promise<SuccessResponseDto> {
    const sink = await this.messages.find(accountId, idOrName);
    await this.messages.discard(sink, body.ids);
    return { success: true };
  }
}
