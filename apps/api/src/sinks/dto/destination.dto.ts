import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import { KEY_FORMATS, STREAM_ID_MODES, STRING_VALUES } from '#core/entities/sink-destination.js';
import { INT4_MAX, IsOptionalNotNull } from './optional.js';

export const DESTINATION_TYPES = ['redis_stream', 'redis_string', 'sequin_stream'] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];

export { KEY_FORMATS, STREAM_ID_MODES, STRING_VALUES };

// ---- Request: create and PUT (the whole destination) ----

abstract class RedisConnectionInputDto {
  /** Host name or IP address of the Redis server. */
  @IsString() @IsNotEmpty() @MaxLength(255) host!: string;
  /** Default 6379. */
  @ApiPropertyOptional({ type: 'integer' }) @IsOptionalNotNull() @IsInt() @Min(1) @Max(65535) port?: number;
  /** Redis logical database number. Default 0. */
  @ApiPropertyOptional({ type: 'integer' }) @IsOptionalNotNull() @IsInt() @Min(0) @Max(INT4_MAX) database?: number;
  /** ACL user name; null or absent for none. */
  @IsOptional() @IsString() @MaxLength(255) username?: string | null;
  /** Stored encrypted, answered obfuscated. On update, leaving it out keeps the stored one; null removes it. */
  @IsOptional() @IsString() @MaxLength(1024) password?: string | null;
  /** Connect with TLS. Default false. */
  @IsOptionalNotNull() @IsBoolean() tls?: boolean;
}

export class CreateRedisStreamDestinationDto extends RedisConnectionInputDto {
  @ApiProperty({ enum: ['redis_stream'] })
  @IsIn(['redis_stream'])
  type!: 'redis_stream';
  /** Key of the stream the entries are appended to (1–255 characters). */
  @IsString() @Length(1, 255) stream_key!: string;
  /** Approximate trimming (`MAXLEN ~ n`) when set; null or absent for none. */
  @ApiPropertyOptional({ type: 'integer', nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  max_len?: number | null;
  /** `auto`: Redis assigns entry ids; `lsn`: ids derived from (commit_lsn, commit_idx), so a replay is refused as a duplicate. Default `auto`. */
  @ApiProperty({ enum: STREAM_ID_MODES, required: false })
  @IsOptionalNotNull()
  @IsIn(STREAM_ID_MODES)
  stream_id_mode?: (typeof STREAM_ID_MODES)[number];
}

export class CreateRedisStringDestinationDto extends RedisConnectionInputDto {
  @ApiProperty({ enum: ['redis_string'] })
  @IsIn(['redis_string'])
  type!: 'redis_string';
  /** Key expiry (`PX`) in milliseconds; null or absent for none. */
  @ApiPropertyOptional({ type: 'integer', nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  expire_ms?: number | null;
  /** `sequin`: `sequin:<table>:<pk>`; `qualified`: `sequin:<schema>.<table>:<pk1>:<pk2>…`. Default `sequin`. */
  @ApiProperty({ enum: KEY_FORMATS, required: false })
  @IsOptionalNotNull()
  @IsIn(KEY_FORMATS)
  key_format?: (typeof KEY_FORMATS)[number];
  /** `message`: the whole message; `record`: the row only. Default `message`. */
  @ApiProperty({ enum: STRING_VALUES, required: false })
  @IsOptionalNotNull()
  @IsIn(STRING_VALUES)
  value?: (typeof STRING_VALUES)[number];
}

export class CreateSequinStreamDestinationDto {
  @ApiProperty({ enum: ['sequin_stream'] })
  @IsIn(['sequin_stream'])
  type!: 'sequin_stream';
}

export type CreateDestinationDto =
  CreateRedisStreamDestinationDto | CreateRedisStringDestinationDto | CreateSequinStreamDestinationDto;

export const CREATE_DESTINATION_VARIANTS = {
  redis_stream: CreateRedisStreamDestinationDto,
  redis_string: CreateRedisStringDestinationDto,
  sequin_stream: CreateSequinStreamDestinationDto,
} as const;

// ---- Request: PATCH (fields merged over the stored destination; `type` says which kind they belong to) ----

export class PatchRedisStreamDestinationDto extends PartialType(
  OmitType(CreateRedisStreamDestinationDto, ['type'] as const),
  {
    skipNullProperties: false,
  },
) {
  @ApiProperty({ enum: ['redis_stream'] })
  @IsIn(['redis_stream'])
  type!: 'redis_stream';
}

export class PatchRedisStringDestinationDto extends PartialType(
  OmitType(CreateRedisStringDestinationDto, ['type'] as const),
  {
    skipNullProperties: false,
  },
) {
  @ApiProperty({ enum: ['redis_string'] })
  @IsIn(['redis_string'])
  type!: 'redis_string';
}

export class PatchSequinStreamDestinationDto extends CreateSequinStreamDestinationDto {}

export type PatchDestinationDto =
  PatchRedisStreamDestinationDto | PatchRedisStringDestinationDto | PatchSequinStreamDestinationDto;

export const PATCH_DESTINATION_VARIANTS = {
  redis_stream: PatchRedisStreamDestinationDto,
  redis_string: PatchRedisStringDestinationDto,
  sequin_stream: PatchSequinStreamDestinationDto,
} as const;

/** What an unknown or missing `type` is validated as: only the type is checked (and refused). */
export class UnknownDestinationDto {
  @IsIn(DESTINATION_TYPES) type!: string;
}

// ---- Response (every field present; secrets obfuscated) ----

abstract class RedisConnectionDto {
  host!: string;
  @ApiProperty({ type: 'integer' }) port!: number;
  @ApiProperty({ type: 'integer' }) database!: number;
  username!: string | null;
  /** Obfuscated: first and last character kept for length ≥ 6, else all `*`. */
  password!: string | null;
  tls!: boolean;
}

export class RedisStreamDestinationDto extends RedisConnectionDto {
  @ApiProperty({ enum: ['redis_stream'] }) type!: 'redis_stream';
  stream_key!: string;
  @ApiProperty({ type: 'integer', nullable: true }) max_len!: number | null;
  @ApiProperty({ enum: STREAM_ID_MODES }) stream_id_mode!: (typeof STREAM_ID_MODES)[number];
}

export class RedisStringDestinationDto extends RedisConnectionDto {
  @ApiProperty({ enum: ['redis_string'] }) type!: 'redis_string';
  @ApiProperty({ type: 'integer', nullable: true }) expire_ms!: number | null;
  @ApiProperty({ enum: KEY_FORMATS }) key_format!: (typeof KEY_FORMATS)[number];
  @ApiProperty({ enum: STRING_VALUES }) value!: (typeof STRING_VALUES)[number];
}

export class SequinStreamDestinationDto {
  @ApiProperty({ enum: ['sequin_stream'] }) type!: 'sequin_stream';
}

export type DestinationDto = RedisStreamDestinationDto | RedisStringDestinationDto | SequinStreamDestinationDto;

export const DESTINATION_VARIANTS = {
  redis_stream: RedisStreamDestinationDto,
  redis_string: RedisStringDestinationDto,
  sequin_stream: SequinStreamDestinationDto,
} as const;
