import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import type { SinkAction, SinkStatus } from '#core/entities/sink.entity.js';
import { IsResourceName } from '../../common/validation/resource-name.js';
import {
  CREATE_DESTINATION_VARIANTS,
  type CreateDestinationDto,
  PATCH_DESTINATION_VARIANTS,
  type PatchDestinationDto,
} from './destination.dto.js';
import { DestinationField } from './destination-field.decorator.js';
import { INT4_MAX, IsOptionalNotNull } from './optional.js';

export const SINK_STATUSES: readonly SinkStatus[] = ['active', 'paused', 'disabled'];
export const SINK_ACTIONS: readonly SinkAction[] = ['insert', 'update', 'delete', 'truncate'];

/** A list of schema or table names, or null. */
const NameList = (): PropertyDecorator =>
  applyDecorators(
    IsOptional(),
    IsArray(),
    IsString({ each: true }),
    IsNotEmpty({ each: true }),
    MaxLength(255, { each: true }),
  );

/**
 * Which tables of the publication the sink reads; every key that is set applies (they combine with
 * AND). A table `t` means `public.t`. Include and exclude of the same kind cannot both be set.
 */
export class SinkSourceInputDto {
  /** Only tables in these schemas. */
  @NameList() include_schemas?: string[] | null;
  /** No tables in these schemas. */
  @NameList() exclude_schemas?: string[] | null;
  /** Only these tables (`schema.table` or `table` for `public.table`). */
  @NameList() include_tables?: string[] | null;
  /** Not these tables (`schema.table` or `table` for `public.table`). */
  @NameList() exclude_tables?: string[] | null;
}

export class SinkTableDto {
  /** `schema.table` (a bare `table` means `public.table`; answered qualified). */
  @IsString() @IsNotEmpty() @MaxLength(255) name!: string;
  /** Columns whose values form the group id of this table's rows, instead of its primary key. */
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique({ message: '$property must not contain duplicates' })
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  group_column_names!: string[];
}

/** Every field of a sink that create, PUT and PATCH share; all optional, with the documented defaults. */
export abstract class SinkSettingsInputDto {
  /** `active`, `paused` (buffers, does not deliver) or `disabled`. Default `active`. */
  @ApiProperty({ enum: SINK_STATUSES, required: false })
  @IsOptionalNotNull()
  @IsIn(SINK_STATUSES)
  status?: SinkStatus;

  /** Tables in scope; null or absent: all tables of the publication. Replaces the stored scope on update. */
  @IsOptional() @IsObject() @ValidateNested() @Type(() => SinkSourceInputDto) source?: SinkSourceInputDto | null;

  /** Per-table grouping; each table must exist and be in scope. */
  @IsOptionalNotNull()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => SinkTableDto)
  tables?: SinkTableDto[];

  /** Non-empty subset of insert, update, delete, truncate. Default insert, update, delete. */
  @ApiProperty({ enum: SINK_ACTIONS, isArray: true, required: false })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique({ message: '$property must not contain duplicates' })
  @IsIn(SINK_ACTIONS, { each: true })
  actions?: SinkAction[];

  /** false: no groups, maximum parallelism. Default true. */
  @IsOptionalNotNull() @IsBoolean() message_grouping?: boolean;

  /** Delivery batch of push sinks, 1–1000. Default redis_stream 50, redis_string 10 (sequin_stream ignores it). */
  @ApiPropertyOptional({ type: 'integer' }) @IsOptionalNotNull() @IsInt() @Min(1) @Max(1000) batch_size?: number;

  /** In-flight bound (push) / outstanding bound (pull). Default 10000. */
  @ApiPropertyOptional({ type: 'integer' })
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(INT4_MAX)
  max_ack_pending?: number;

  /** Failed attempts before a message is dead-lettered; null: retry forever (the default). */
  @ApiPropertyOptional({ type: 'integer', nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(INT4_MAX)
  max_retry_count?: number | null;

  /** Sequin Stream visibility timeout in milliseconds, ≥ 500. Default 30000. */
  @ApiPropertyOptional({ type: 'integer' }) @IsOptionalNotNull() @IsInt() @Min(500) @Max(INT4_MAX) ack_wait_ms?: number;

  /** Sequin Stream: concurrent waiting `/receive` calls; one more gets 429. Default 20. */
  @ApiPropertyOptional({ type: 'integer' }) @IsOptionalNotNull() @IsInt() @Min(1) @Max(INT4_MAX) max_waiting?: number;

  /** Any JSON object; copied to `metadata.consumer.annotations`. Default {}. */
  @IsOptionalNotNull()
  @IsObject()
  annotations?: Record<string, unknown>;

  /**
   * true: start a full backfill of every table in scope when the sink is created (each table needs a
   * primary key). Default false. An update cannot change it: start backfills through the backfills routes.
   */
  @IsOptionalNotNull() @IsBoolean() initial_backfill?: boolean;

  /** Name of a filter function; none exist yet, so only null is accepted. */
  @IsOptional() @IsString() filter?: string | null;
  /** Name of a transform function; none exist yet, so only null is accepted. */
  @IsOptional() @IsString() transform?: string | null;
  /** Name of a routing function; none exist yet, so only null is accepted. */
  @IsOptional() @IsString() routing?: string | null;
}

export class CreateSinkDto extends SinkSettingsInputDto {
  /** Unique per account. */
  @IsResourceName() name!: string;
  /** Name or id of one of the account's Postgres databases. */
  @IsString() @IsNotEmpty() database!: string;
  /** Where messages go, by `type`. */
  @DestinationField(CREATE_DESTINATION_VARIANTS, { required: true }) destination!: CreateDestinationDto;
}

/** PUT: the fields given replace the stored ones; a given `destination` replaces the stored one whole (the password is kept when left out). */
export class UpdateSinkDto extends SinkSettingsInputDto {
  @IsOptionalNotNull() @IsResourceName() name?: string;
  /** The sink's database (name or id); it cannot change. */
  @IsOptionalNotNull() @IsString() @IsNotEmpty() database?: string;
  /** Must keep the sink's destination `type`. */
  @DestinationField(CREATE_DESTINATION_VARIANTS, { required: false }) destination?: CreateDestinationDto;
}

/** PATCH: the fields given replace the stored ones; `destination` fields are merged over the stored destination. */
export class PatchSinkDto extends SinkSettingsInputDto {
  @IsOptionalNotNull() @IsResourceName() name?: string;
  /** The sink's database (name or id); it cannot change. */
  @IsOptionalNotNull() @IsString() @IsNotEmpty() database?: string;
  /** `type` (required, the sink's own) plus the fields to change. */
  @DestinationField(PATCH_DESTINATION_VARIANTS, { required: false }) destination?: PatchDestinationDto;
}
