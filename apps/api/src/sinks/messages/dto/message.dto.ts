import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { IsOptionalNotNull } from '../../dto/optional.js';
import { MessageEnvelopeDto } from '../../../common/dto/message-envelope.dto.js';

/** `outstanding` (handed out, not acked) exists for sequin_stream sinks only. */
export const MESSAGE_STATES = ['pending', 'failing', 'dead', 'delivered', 'outstanding'] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];

/** Most ids one redeliver or discard request may name. */
export const MAX_MESSAGE_IDS = 1000;

export class SinkMessageDto {
  /** The message's id — its idempotency key (`metadata.idempotency_key`); redeliver and discard take it. */
  id!: string;
  /**
   * Sequin Stream sinks: the ack id of the message's latest delivery (null before the first); a
   * receiver acks or nacks with it. Absent for other sinks.
   */
  @ApiPropertyOptional({ type: 'string', format: 'uuid', nullable: true })
  ack_id?: string | null;
  /**
   * Order of the message on its sink: in the current reader session (pending, delivered), or in the
   * stream (sequin_stream sinks); null for failing and dead messages of other sinks.
   */
  @ApiProperty({ type: 'integer', nullable: true })
  seq!: number | null;
  group_id!: string | null;
  /**
   * Delivery attempts so far (for a delivered message, including the one that succeeded; for a stream
   * message, how often it was handed out).
   */
  @ApiProperty({ type: 'integer' })
  deliver_count!: number;
  last_error!: string | null;
  /** When the next attempt is due (a stream message: when it is handed out again unless acked); null when due now. */
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  not_visible_until!: string | null;
  /** Source commit LSN of the message's transaction, as an integer. */
  @ApiProperty({ type: 'integer' })
  commit_lsn!: number;
  /**
   * When the message failed first (failing, dead), or its source commit time (pending, delivered); for
   * a stream message, when it was stored.
   */
  @ApiProperty({ type: 'string', format: 'date-time' })
  inserted_at!: string;
  data!: MessageEnvelopeDto;
}

export class SinkMessageListDto {
  data!: SinkMessageDto[];
}

export class RedeliverMessagesDto {
  /**
   * Ids of failing or dead messages (`id` of the messages list). Left out: every failing message of
   * the sink; dead-lettered messages are redelivered only by their ids.
   */
  @IsOptionalNotNull()
  @IsArray()
  @ArrayNotEmpty({ message: '$property must not be empty (leave it out to redeliver every failing message)' })
  @ArrayMaxSize(MAX_MESSAGE_IDS)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(255, { each: true })
  ids?: string[];
}

export class DiscardMessagesDto {
  /** Ids of failing or dead messages (`id` of the messages list). */
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(MAX_MESSAGE_IDS)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(255, { each: true })
  ids!: string[];
}
