import { ApiProperty } from '@nestjs/swagger';

/** The message envelope (spec messages.md), as a sink or a consumer receives it. */
export class MessageEnvelopeDto {
  @ApiProperty({ type: 'object', additionalProperties: true })
  record!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  changes!: Record<string, unknown> | null;
  @ApiProperty({ enum: ['insert', 'update', 'delete', 'read', 'truncate'] })
  action!: string;
  @ApiProperty({ type: 'object', additionalProperties: true })
  metadata!: Record<string, unknown>;
}
