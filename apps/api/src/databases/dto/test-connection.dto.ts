import { ErrorResponseDto } from '../../common/dto/error-response.dto.js';

/** 422 of test_connection: the error shape plus Sequin's `success` and `reason`. */
export class TestConnectionFailureDto extends ErrorResponseDto {
  /** Always false here. */
  success!: boolean;
  /** Why the source cannot be replicated from, e.g. `could not connect: …`. */
  reason!: string;
}
