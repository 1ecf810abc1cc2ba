import { applyDecorators } from '@nestjs/common';
import { IsNotEmpty, IsString, Matches, MaxLength, type ValidationArguments, registerDecorator } from 'class-validator';
import { isUuid } from '#core/tenancy/account-scoped.repository.js';

export const NAME_PATTERN = /^[a-zA-Z0-9_\-.]+$/;

function IsNotUuid(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isNotUuid',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !isUuid(value),
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property ?? 'name'} must not be a UUID (UUIDs address resources by id)`,
      },
    });
}

/** Spec naming rule: `^[a-zA-Z0-9_\-.]+$`, not itself a UUID (paths accept an id or a name). */
export function IsResourceName(): PropertyDecorator {
  return applyDecorators(
    IsString(),
    IsNotEmpty(),
    MaxLength(255),
    Matches(NAME_PATTERN, { message: '$property may contain only letters, digits, _, - and .' }),
    IsNotUuid(),
  );
}
