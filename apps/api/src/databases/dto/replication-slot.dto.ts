import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { ReplicationSlotStatus } from '#core/entities/replication-slot.entity.js';

export const SLOT_STATUSES: ReplicationSlotStatus[] = ['active', 'disabled'];

/** Postgres' own rule for slot names. */
const SLOT_NAME = /^[a-z0-9_]{1,63}$/;
const SLOT_NAME_MESSAGE = '$property may contain only lower-case letters, digits and _ (at most 63)';

export class ReplicationSlotInputDto {
  /** Publication whose tables are replicated. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(63)
  publication_name!: string;

  /** Logical replication slot using the pgoutput plugin. */
  @Matches(SLOT_NAME, { message: SLOT_NAME_MESSAGE })
  slot_name!: string;

  /** Default active; a disabled slot is not read. */
  @ApiPropertyOptional({ enum: SLOT_STATUSES })
  @IsOptional()
  @IsIn(SLOT_STATUSES)
  status?: ReplicationSlotStatus;
}

/** Every field optional: an update changes only what it names (e.g. `{"status": "disabled"}`). */
export class ReplicationSlotUpdateDto {
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(63)
  publication_name?: string;

  @IsOptional()
  @Matches(SLOT_NAME, { message: SLOT_NAME_MESSAGE })
  slot_name?: string;

  @ApiPropertyOptional({ enum: SLOT_STATUSES })
  @IsOptional()
  @IsIn(SLOT_STATUSES)
  status?: ReplicationSlotStatus;
}

export class ReplicationSlotDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  publication_name!: string;
  slot_name!: string;
  @ApiProperty({ enum: SLOT_STATUSES })
  status!: ReplicationSlotStatus;
}
