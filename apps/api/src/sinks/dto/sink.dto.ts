import { ApiProperty } from '@nestjs/swagger';
import type { SinkAction, SinkStatus } from '#core/entities/sink.entity.js';
import { BackfillDto } from '../../backfills/dto/backfill.dto.js';
import { DESTINATION_VARIANTS, type DestinationDto } from './destination.dto.js';
import { destinationSchema } from './destination-field.decorator.js';
import { SINK_ACTIONS, SINK_STATUSES, SinkTableDto } from './sink-input.dto.js';

export const HEALTH_STATUSES = ['healthy', 'warning', 'error', 'paused', 'initializing'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** The sink's scope as stored: every key present, null when unset. */
export class SinkSourceDto {
  include_schemas!: string[] | null;
  exclude_schemas!: string[] | null;
  /** Qualified `schema.table` names. */
  include_tables!: string[] | null;
  /** Qualified `schema.table` names. */
  exclude_tables!: string[] | null;
}

export class SinkHealthCheckDto {
  name!: string;
  @ApiProperty({ enum: HEALTH_STATUSES }) status!: HealthStatus;
  message!: string | null;
}

export class SinkHealthDto {
  @ApiProperty({ enum: HEALTH_STATUSES }) status!: HealthStatus;
  checks!: SinkHealthCheckDto[];
}

/** A sink with every default filled in and secrets obfuscated. */
export class SinkDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  name!: string;
  /** Name of the sink's Postgres database (Sequin's shape). */
  database!: string;
  @ApiProperty({ format: 'uuid' }) database_id!: string;
  @ApiProperty(destinationSchema(DESTINATION_VARIANTS)) destination!: DestinationDto;
  @ApiProperty({ enum: SINK_STATUSES }) status!: SinkStatus;
  source!: SinkSourceDto;
  tables!: SinkTableDto[];
  @ApiProperty({ enum: SINK_ACTIONS, isArray: true }) actions!: SinkAction[];
  message_grouping!: boolean;
  @ApiProperty({ type: 'integer' }) batch_size!: number;
  @ApiProperty({ type: 'integer' }) max_ack_pending!: number;
  /** null: retried forever. */
  @ApiProperty({ type: 'integer', nullable: true }) max_retry_count!: number | null;
  @ApiProperty({ type: 'integer' }) ack_wait_ms!: number;
  @ApiProperty({ type: 'integer' }) max_waiting!: number;
  annotations!: Record<string, unknown>;
  initial_backfill!: boolean;
  filter!: string | null;
  transform!: string | null;
  routing!: string | null;
  /** Source WAL position when the sink was created, as an integer: changes committed at or after it reach the sink. */
  @ApiProperty({ type: 'integer' }) start_lsn!: number;
  @ApiProperty({ format: 'date-time' }) inserted_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
  health!: SinkHealthDto;
  /** The sink's active and paused backfills, oldest first. */
  active_backfills!: BackfillDto[];
}

export class SinkListDto {
  data!: SinkDto[];
}

export class DeletedSinkDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  deleted!: boolean;
}
