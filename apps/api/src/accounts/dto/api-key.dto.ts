import { ApiProperty } from '@nestjs/swagger';
import { IsResourceName } from '../../common/validation/resource-name.js';

export class CreateApiKeyDto {
  /** Unique per account. */
  @IsResourceName() name!: string;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  name!: string;
  @ApiProperty({ format: 'date-time' }) inserted_at!: string;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  /** The plain token: shown only in this response. */
  token!: string;
}

export class ApiKeyListDto {
  data!: ApiKeyDto[];
}
