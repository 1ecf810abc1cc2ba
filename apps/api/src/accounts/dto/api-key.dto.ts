import { IsResourceName } from '../../common/validation/resource-name.js';

export class CreateApiKeyDto {
  /** Unique per account. */
  @IsResourceName() name!: string;
}

export class ApiKeyDto {
  /** @format uuid */
  id!: string;
  name!: string;
  /** @format date-time */
  inserted_at!: string;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  /** The plain token: shown only in this response. */
  token!: string;
}

export class ApiKeyListDto {
  data!: ApiKeyDto[];
}
