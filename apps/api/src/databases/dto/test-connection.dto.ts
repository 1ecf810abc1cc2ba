import { ErrorResponseDto } from '../../common/dto/error-response.dto.js';

/**
 * 422 of test_connection: the error shape plus Sequin's `success` and `reason` when the test failed
 * (a request refused for a field it carried has the error shape alone).
 */
export class TestConnectionFailureDto extends ErrorResponseDto {
  /** False: the connection test failed. */
  success?: boolean;
  /** Why the source cannot be replicated from, e.g. `could not connect: …`. */
  reason?: string;
}
