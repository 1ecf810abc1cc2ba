import { ApiProperty } from '@nestjs/swagger';
import { IsResourceName } from '../../common/validation/resource-name.js';

export class CreateAccountDto {
  /** Unique account name. */
  @IsResourceName() name!: string;
}

export class AccountDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  name!: string;
  @ApiProperty({ format: 'date-time' }) inserted_at!: string;
}

export class SignupTokenDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  name!: string;
  /** The plain token: shown only here, once. */
  token!: string;
}

export class SignupResponseDto {
  account!: AccountDto;
  api_token!: SignupTokenDto;
}
