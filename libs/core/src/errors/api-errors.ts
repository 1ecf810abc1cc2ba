/**
 * Errors with a meaning in the API contract. Services throw these; the API's global exception
 * filter maps them to the spec's `{summary, validation_errors?}` shape and status.
 */
export type ValidationErrors = { [field: string]: string[] | ValidationErrors };

export abstract class ApiError extends Error {
  abstract readonly status: number;
  constructor(readonly summary: string) {
    super(summary);
    this.name = new.target.name;
  }
  body(): Record<string, unknown> {
    return { summary: this.summary };
  }
}

export class BadRequestError extends ApiError {
  readonly status = 400;
}

export class PayloadTooLargeError extends ApiError {
  readonly status = 413;
}

export class NotFoundError extends ApiError {
  readonly status = 404;
  static of(kind: string, idOrName: string): NotFoundError {
    return new NotFoundError(`No ${kind} found matching ${JSON.stringify(idOrName)}`);
  }
}

export class ValidationError extends ApiError {
  readonly status = 422;
  constructor(
    summary: string,
    readonly validationErrors: ValidationErrors = {},
    /** Extra top-level fields some routes add (test_connection's `success` / `reason`). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(summary);
  }
  static field(field: string, reason: string, summary = `Invalid ${field}: ${reason}`): ValidationError {
    return new ValidationError(summary, { [field]: [reason] });
  }
  override body(): Record<string, unknown> {
    return { ...this.extra, summary: this.summary, validation_errors: this.validationErrors };
  }
}

export class TooManyRequestsError extends ApiError {
  readonly status = 429;
}

/** The source database or sink refused. */
export class UpstreamError extends ApiError {
  readonly status = 502;
}

/** The source database or sink did not answer in time. */
export class UpstreamTimeoutError extends ApiError {
  readonly status = 504;
}
