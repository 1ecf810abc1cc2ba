/** The spec's error shape, for every 4xx and 5xx. */
export class ErrorResponseDto {
  /** A human sentence saying what went wrong. */
  summary!: string;
  /**
   * Only on 422: field name → list of reasons; nested objects mirror nested request fields.
   * @example {"name": ["must match ^[a-zA-Z0-9_\\-.]+$"]}
   */
  validation_errors?: Record<string, unknown>;
  /** Only on 500: quote it when reporting the problem; the server log has the details. */
  error_id?: string;
}
