import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsResourceName } from '../../common/validation/resource-name.js';
import { IsSourceUrl } from '../connection-fields.validation.js';
import { ReplicationSlotDto, ReplicationSlotInputDto, ReplicationSlotUpdateDto } from './replication-slot.dto.js';

const EXACTLY_ONE_SLOT = { message: '$property must contain exactly one replication slot' };
const withoutUrl = (body: { url?: string }): boolean => typeof body.url !== 'string';

const URL_DESCRIPTION =
  '`postgresql://user:password@host:port/database` (user and password percent-encoded; `?sslmode=` ' +
  'understood), instead of hostname, port, database, username and password.';
const ANNOTATIONS_DESCRIPTION = 'Free-form JSON object kept with the database.';

export class CreatePostgresDatabaseDto {
  /** Unique per account. */
  @IsResourceName()
  name!: string;

  @ApiPropertyOptional({ description: URL_DESCRIPTION })
  @IsOptional()
  @IsSourceUrl()
  url?: string;

  /** Required unless `url` is given. */
  @ValidateIf(withoutUrl)
  @IsString()
  @IsNotEmpty()
  hostname?: string;

  /** Default 5432. */
  @ApiPropertyOptional({ type: 'integer' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  port?: number;

  /** Required unless `url` is given. */
  @ValidateIf(withoutUrl)
  @IsString()
  @IsNotEmpty()
  database?: string;

  /** Required unless `url` is given. */
  @ValidateIf(withoutUrl)
  @IsString()
  @IsNotEmpty()
  username?: string;

  /** Required unless `url` is given. Stored encrypted; responses show it obfuscated. */
  @ValidateIf(withoutUrl)
  @IsString()
  password?: string;

  /** Connect with TLS (the server certificate is not verified). Default false, or as the url's sslmode says. */
  @IsOptional()
  @IsBoolean()
  ssl?: boolean;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: `${ANNOTATIONS_DESCRIPTION} Default {}.`,
  })
  @IsOptional()
  @IsObject()
  annotations?: Record<string, unknown>;

  /** Exactly one slot. */
  @IsArray()
  @ArrayMinSize(1, EXACTLY_ONE_SLOT)
  @ArrayMaxSize(1, EXACTLY_ONE_SLOT)
  @ValidateNested({ each: true })
  @Type(() => ReplicationSlotInputDto)
  replication_slots!: ReplicationSlotInputDto[];

  /** Create the slot (pgoutput) when it does not exist. Default false. */
  @IsOptional()
  @IsBoolean()
  create_slot_if_missing?: boolean;

  /** Create the publication (`FOR ALL TABLES`) when it does not exist; it is created before the slot. Default false. */
  @IsOptional()
  @IsBoolean()
  create_publication_if_missing?: boolean;
}

/** PUT and PATCH alike: only the fields given change; the others keep their stored values. */
export class UpdatePostgresDatabaseDto {
  @IsOptional()
  @IsResourceName()
  name?: string;

  @ApiPropertyOptional({ description: URL_DESCRIPTION })
  @IsOptional()
  @IsSourceUrl()
  url?: string;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  hostname?: string;

  @ApiPropertyOptional({ type: 'integer' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  port?: number;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  database?: string;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  username?: string;

  @IsOptional()
  @IsString()
  password?: string;

  @IsOptional()
  @IsBoolean()
  ssl?: boolean;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: ANNOTATIONS_DESCRIPTION })
  @IsOptional()
  @IsObject()
  annotations?: Record<string, unknown>;

  /** Exactly one slot; the fields given replace the stored ones (e.g. `[{"status": "disabled"}]`). */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1, EXACTLY_ONE_SLOT)
  @ArrayMaxSize(1, EXACTLY_ONE_SLOT)
  @ValidateNested({ each: true })
  @Type(() => ReplicationSlotUpdateDto)
  replication_slots?: ReplicationSlotUpdateDto[];

  /** Create the slot (pgoutput) when it does not exist. */
  @IsOptional()
  @IsBoolean()
  create_slot_if_missing?: boolean;

  /** Create the publication (`FOR ALL TABLES`) when it does not exist; it is created before the slot. */
  @IsOptional()
  @IsBoolean()
  create_publication_if_missing?: boolean;
}

export class DiscoveredColumnDto {
  name!: string;
  /** As Postgres' format_type() prints it, e.g. `character varying(20)`. */
  type!: string;
}

export class DiscoveredTableDto {
  schema!: string;
  name!: string;
  /** Primary key columns in key order; empty when the table has none. */
  primary_key!: string[];
  /** In table (attnum) order. */
  columns!: DiscoveredColumnDto[];
}

export class PostgresDatabaseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  name!: string;
  hostname!: string;
  @ApiProperty({ type: 'integer' })
  port!: number;
  database!: string;
  username!: string;
  /** Obfuscated: first and last character kept for length ≥ 6, else all `*`. */
  password!: string;
  ssl!: boolean;
  @ApiProperty({ type: 'object', additionalProperties: true })
  annotations!: Record<string, unknown>;
  replication_slots!: ReplicationSlotDto[];
  /** The publication's tables as last read (at create, on a connection change, or by refresh_tables). */
  tables!: DiscoveredTableDto[];
}

export class PostgresDatabaseListDto {
  data!: PostgresDatabaseDto[];
}

export class DeletedPostgresDatabaseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  deleted!: boolean;
}
