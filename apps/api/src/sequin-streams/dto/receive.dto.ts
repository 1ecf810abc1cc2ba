import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MessageEnvelopeDto } from '../../common/dto/message-envelope.dto.js';

/** Receive parameters (also accepted in the query string). Invalid values → 400. */
export class ReceiveRequestDto {
  /** 1–1000, default 1. */
  @ApiPropertyOptional({ type: 'integer' }) batch_size?: number;
  /** Alias of batch_size. */
  @ApiPropertyOptional({ type: 'integer' }) max_batch_size?: number;
  @ApiPropertyOptional({
    oneOf: [{ type: 'integer' }, { type: 'string', example: '60s' }],
    description:
      'How long to wait for a message: milliseconds, or "500ms", "60s", "5m"; 0 or 500 ms – 300 s; default 0.',
  })
  wait_for?: number | string;
}

export class ReceivedMessageDto {
  /** Acknowledge or nack the message with this id; it is stale once the message is redelivered. */
  ack_id!: string;
  data!: MessageEnvelopeDto;
}

export class ReceiveResponseDto {
  data!: ReceivedMessageDto[];
}

export class AckRequestDto {
  /** Non-empty list of ack ids (UUIDs). */
  @ApiProperty({ type: 'string', format: 'uuid', isArray: true, minItems: 1, maxItems: 10_000 })
  ack_ids!: string[];
}
