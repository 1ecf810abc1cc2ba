import { registerDecorator } from 'class-validator';

/** A non-empty string of at most 1024 characters, or a finite number. */
export function IsStringOrNumber(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isStringOrNumber',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) =>
          (typeof value === 'string' && value.length > 0 && value.length <= 1024) ||
          (typeof value === 'number' && Number.isFinite(value)),
        defaultMessage: () => 'must be a non-empty string (at most 1024 characters) or a number',
      },
    });
}
