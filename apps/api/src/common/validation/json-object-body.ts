import { BadRequestError, ValidationError } from '#core/errors/api-errors.js';

/** A body that was sent must be a JSON object (400 otherwise); undefined when none was sent. */
export function jsonObjectBody(body: unknown): Record<string, unknown> | undefined {
  if (body === undefined) return undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError('Request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** The spec's 422 for fields a request may not carry, naming every one. */
export function unknownFieldsError(fields: readonly string[]): ValidationError {
  return new ValidationError(
    `Unknown field: ${fields[0]}`,
    Object.fromEntries(fields.map((field) => [field, ['unknown field']])),
  );
}
