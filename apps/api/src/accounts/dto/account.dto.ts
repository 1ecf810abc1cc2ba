import { IsResourceName } from '../../common/validation/resource-name.js';

export class CreateAccountDto {
  /** Unique account name. */
  @IsResourceName() name!: string;
}

export class AccountDto {
  /** @format uuid */
  id!: string;
  name!: string;
  /** @format date-time */
  inserted_at!: string;
}

export class SignupTokenDto {
  /** @format uuid */
  id!: string;
  name!: string;
  /** The plain token: shown only here, once. */
  token!: string;
}

export class SignupResponseDto {
  account!: AccountDto;
  api_token!: SignupTokenDto;
}
