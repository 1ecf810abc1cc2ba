import { type ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import type { ValidationError as ClassValidatorError } from 'class-validator';
import { ValidationError } from '#core/errors/api-errors.js';
import { FieldErrors, findNulCharacter } from './field-errors.js';
import { jsonObjectBody } from './json-object-body.js';
import { collectValidationErrors } from './validation-errors.js';

/**
 * Strict body validation: unknown fields are refused (422 "Unknown field: x"), wrong types are
 * reported per field; nothing is coerced implicitly. A body with a NUL character anywhere is a 422
 * too (Postgres text and jsonb cannot hold one: it would fail in a query, a 500).
 */
export class ApiValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      validationError: { target: false, value: false },
      stopAtFirstError: true,
      exceptionFactory: (errors: ClassValidatorError[]) => toValidationError(errors),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') jsonObjectBody(value);
    const transformed: unknown = await super.transform(value, metadata);
    if (metadata.type === 'body') refuseNulCharacters(value);
    return transformed;
  }
}

export function toValidationError(errors: ClassValidatorError[]): ValidationError {
  const collected = collectValidationErrors(errors);
  const [unknown] = collected.unknownFields;
  if (unknown !== undefined) return new ValidationError(`Unknown field: ${unknown}`, collected.errors);
  return new ValidationError(`Invalid request: ${collected.firstProblem ?? 'validation failed'}`, collected.errors);
}

function refuseNulCharacters(body: unknown): void {
  const path = findNulCharacter(body);
  if (!path) return;
  const errors = new FieldErrors();
  errors.add(path.length > 0 ? path : ['body'], 'must not contain NUL characters');
  throw errors.toError('request');
}
