import { applyDecorators, Body, Controller, Get, Header, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { ReceivedMessage } from '#stream/stream-store.js';
import { AccountId } from '../auth/current-account.decorator.js';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';
import { SuccessResponseDto } from '../common/dto/success-response.dto.js';
import { AckRequestDto, ReceiveRequestDto, ReceiveResponseDto } from './dto/receive.dto.js';
import { parseAckIds, parseReceiveParams } from './receive-params.js';
import { SequinStreamsService } from './sequin-streams.service.js';

/** Stored message JSON goes out as stored: no parse and re-serialise per message. */
function receiveBody(messages: ReceivedMessage[]): string {
  return `{"data":[${messages.map((m) => `{"ack_id":"${m.ackId}","data":${m.data}}`).join(',')}]}`;
}

/**
 * Aborts when the client goes away before its answer is written, so an abandoned long poll frees its
 * waiting place and claims nothing more. It listens to the response: the request's 'close' fires as
 * soon as a request body has been read (Node 20), long before the client leaves.
 */
function disconnectSignal(response: Response): AbortSignal {
  const controller = new AbortController();
  if (response.destroyed) controller.abort();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}

const ReceiveQuery = (): MethodDecorator =>
  applyDecorators(
    ApiQuery({
      name: 'batch_size',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 1000, default: 1 },
      description: '1–1000, default 1',
    }),
    ApiQuery({
      name: 'max_batch_size',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 1000 },
      description: 'Alias of batch_size',
    }),
    ApiQuery({
      name: 'wait_for',
      required: false,
      type: String,
      description: 'Milliseconds, or "500ms", "60s", "5m"; 0 or 500 ms – 300 s',
    }),
  );

/**
 * The Sequin Stream API: workers pull changes of a sequin_stream sink. Both path prefixes serve the
 * same handlers (Sequin's current and former names).
 */
@ApiTags('sequin_streams')
@ApiBearerAuth()
@Controller(['sequin_streams', 'http_pull_consumers'])
export class SequinStreamsController {
  constructor(private readonly streams: SequinStreamsService) {}

  /** Claims up to batch_size messages; with wait_for, waits for one to become deliverable. */
  @Get(':id_or_name/receive')
  @ReceiveQuery()
  @Header('Content-Type', 'application/json; charset=utf-8')
  @ApiOkResponse({ type: ReceiveResponseDto })
  @ApiErrorResponses(400, 401, 404, 429)
  async receiveGet(
    @AccountId() accountId: string,
    @Param('id_or_name') idOrName: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) response: Response,
  ): Promise<string> {
    const params = parseReceiveParams(query, undefined);
    return receiveBody(await this.streams.receive(accountId, idOrName, params, disconnectSignal(response)));
  }

  /** Same as GET, with the parameters in a JSON body (or the query string). */
  @Post(':id_or_name/receive')
  @ReceiveQuery()
  @HttpCode(200)
  @Header('Content-Type', 'application/json; charset=utf-8')
  @ApiBody({ type: ReceiveRequestDto, required: false })
  @ApiOkResponse({ type: ReceiveResponseDto })
  @ApiErrorResponses(400, 401, 404, 413, 422, 429)
  async receivePost(
    @AccountId() accountId: string,
    @Param('id_or_name') idOrName: string,
    @Query() query: Record<string, unknown>,
    @Body() body: unknown,
    @Res({ passthrough: true }) response: Response,
  ): Promise<string> {
    const params = parseReceiveParams(query, body);
    return receiveBody(await this.streams.receive(accountId, idOrName, params, disconnectSignal(response)));
  }

  /** Acknowledges messages: they are never delivered again. Unknown or stale ack ids are ignored. */
  @Post(':id_or_name/ack')
  @HttpCode(200)
  @ApiBody({ type: AckRequestDto })
  @ApiOkResponse({ type: SuccessResponseDto })
  @ApiErrorResponses(400, 401, 404, 413, 422)
  async ack(
    @AccountId() accountId: string,
    @Param('id_or_name') idOrName: string,
    @Body() body: unknown,
  ): Promise<SuccessResponseDto> {
    await this.streams.ack(accountId, idOrName, parseAckIds(body));
    return { success: true };
  }

  /** Makes messages visible again at once, for any receiver. */
  @Post(':id_or_name/nack')
  @HttpCode(200)
  @ApiBody({ type: AckRequestDto })
  @ApiOkResponse({ type: SuccessResponseDto })
  @ApiErrorResponses(400, 401, 404, 413, 422)
  async nack(
    @AccountId() accountId: string,
    @Param('id_or_name') idOrName: string,
    @Body() body: unknown,
  ): Promise<SuccessResponseDto> {
    await this.streams.nack(accountId, idOrName, parseAckIds(body));
    return { success: true };
  }
}
