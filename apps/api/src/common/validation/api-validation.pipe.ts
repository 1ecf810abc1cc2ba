import { type ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import type { ValidationError as ClassValidatorError } from 'class-validator';
import { BadRequestError, ValidationError } from '#core/errors/api-errors.js';
import { collectValidationErrors } from './validation-errors.js';

/**
 * Strict body validation: unknown fields are refused (422 "Unknown field: x"), wrong types are
 * reported per field; nothing is coerced implicitly.
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
    if (
      metadata.type === 'body' &&
      value !== undefined &&
      (typeof value !== 'object' || value === null || Array.isArray(value))
    ) {
      throw new BadRequestError('Request body must be a JSON object');
    }
    return super.transform(value, metadata);
  }
}

export function toValidationError(errors: ClassValidatorError[]): ValidationError {
  const collected = collectValidationErrors(errors);
  const [unknown] = collected.unknownFields;
  if (unknown !== undefined) return new ValidationError(`Unknown field: ${unknown}`, collected.errors);
  return new ValidationError(`Invalid request: ${collected.firstProblem ?? 'validation failed'}`, collected.errors);
}
