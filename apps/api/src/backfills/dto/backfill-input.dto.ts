import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import type { BackfillState } from '#core/entities/backfill.entity.js';
import { BACKFILL_STATES } from './backfill.dto.js';
import { IsStringOrNumber } from './string-or-number.js';

export class CreateBackfillDto {
  /** `schema.table` (a bare `table` means `public.table`); may be left out when the sink reads one table. */
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(255) table?: string | null;
  /**
   * For a partial backfill: the column whose values `start_position` is compared with (pages follow
   * it, then the primary key). Requires `start_position`.
   */
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(255) sort_column?: string | null;
  /**
   * For a partial backfill: only rows whose `sort_column` is at least this are read, e.g. a
   * timestamp `"2025-01-01T00:00:00Z"` or a number. Requires `sort_column`.
   */
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'number' }], required: false, nullable: true })
  @IsOptional()
  @IsStringOrNumber()
  start_position?: string | number | null;
}

/** Pause (`paused`), resume (`active`) or cancel (`cancelled`) a backfill. */
export class UpdateBackfillDto {
  /** active → paused | cancelled, paused → active | cancelled; any other change is refused with 422. */
  @ApiProperty({ enum: BACKFILL_STATES })
  @IsIn(BACKFILL_STATES)
  state!: BackfillState;
}
