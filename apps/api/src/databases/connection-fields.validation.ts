import { registerDecorator, type ValidationArguments } from 'class-validator';
import { parseSourceUrl, SourceUrlError } from '#core/source/source-url.js';

/** The fields a `url` replaces; giving both is ambiguous. */
export const URL_FIELDS = ['hostname', 'port', 'database', 'username', 'password'] as const;

const given = (args: ValidationArguments, fields: readonly string[]): string[] =>
  fields.filter((field) => (args.object as Record<string, unknown>)[field] !== undefined);

function urlProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  try {
    parseSourceUrl(value);
    return null;
  } catch (error) {
    if (error instanceof SourceUrlError) return error.message;
    throw error;
  }
}

/** A `postgresql://user:password@host:port/database` URL, and none of the fields it replaces. */
export function IsSourceUrl(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isSourceUrl',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown, args: ValidationArguments) =>
          urlProblem(value) === null && given(args, URL_FIELDS).length === 0,
        defaultMessage: (args?: ValidationArguments) => {
          if (!args) return 'is invalid';
          const conflicting = given(args, URL_FIELDS);
          if (conflicting.length > 0)
            return `cannot be combined with ${conflicting.join(', ')}: give either url or the separate fields`;
          return urlProblem(args.value) ?? 'is invalid';
        },
      },
    });
}
