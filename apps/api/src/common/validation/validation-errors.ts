import type { ValidationError as ClassValidatorError } from 'class-validator';
import type { ValidationErrors } from '#core/errors/api-errors.js';

export interface CollectedErrors {
  errors: ValidationErrors;
  unknownFields: string[];
  firstProblem?: string;
}

const UNKNOWN = 'whitelistValidation';

/** class-validator messages start with the property name; the field is already the key. */
function reason(property: string, message: string): string {
  return message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}

/** class-validator's tree → the spec's nested `validation_errors` object. */
export function collectValidationErrors(errors: ClassValidatorError[], path: string[] = []): CollectedErrors {
  const result: CollectedErrors = { errors: {}, unknownFields: [] };
  for (const error of errors) {
    const fieldPath = [...path, error.property];
    const constraints = error.constraints ?? {};
    if (UNKNOWN in constraints) {
      result.errors[error.property] = ['unknown field'];
      result.unknownFields.push(fieldPath.join('.'));
      continue;
    }
    const reasons = Object.values(constraints).map((m) => reason(error.property, m));
    if (reasons.length > 0) {
      result.errors[error.property] = reasons;
      result.firstProblem ??= `${fieldPath.join('.')} ${reasons[0]}`;
    }
    if (error.children && error.children.length > 0) {
      const nested = collectValidationErrors(error.children, fieldPath);
      result.errors[error.property] = nested.errors;
      result.unknownFields.push(...nested.unknownFields);
      result.firstProblem ??= nested.firstProblem;
    }
  }
  return result;
}
