import { ApiProperty } from '@nestjs/swagger';
import type { BackfillState } from '#core/entities/backfill.entity.js';

export const BACKFILL_STATES: readonly BackfillState[] = ['active', 'paused', 'completed', 'cancelled', 'failed'];

/** A table of a sink read page by page and delivered to the sink as `read` messages. */
export class BackfillDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  /** Name of the sink the backfill feeds (Sequin's field name). */
  sink_consumer!: string;
  /** `schema.table`. */
  table!: string;
  @ApiProperty({ enum: BACKFILL_STATES }) state!: BackfillState;
  /** Column the pages follow (then the primary key); null: the primary key alone. */
  sort_column!: string | null;
  /** A partial backfill starts at the rows whose `sort_column` is at least this; null: at the first row. */
  start_position!: string | null;
  /** Rows of the table when the backfill started (a count, or an estimate for large tables); null until known. */
  @ApiProperty({ type: 'integer', nullable: true }) rows_initial_count!: number | null;
  /** Rows read from the table so far. */
  @ApiProperty({ type: 'integer' }) rows_processed_count!: number;
  /** Rows delivered to the sink so far (read rows newer changes replaced are not). */
  @ApiProperty({ type: 'integer' }) rows_ingested_count!: number;
  @ApiProperty({ format: 'date-time' }) inserted_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
  @ApiProperty({ format: 'date-time' }) completed_at!: string | null;
  @ApiProperty({ format: 'date-time' }) canceled_at!: string | null;
  /** Why the backfill failed; null unless `state` is `failed`. */
  error!: string | null;
}

export class BackfillListDto {
  data!: BackfillDto[];
}
