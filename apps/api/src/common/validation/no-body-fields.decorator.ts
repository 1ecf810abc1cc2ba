import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { BadRequestError, ValidationError } from '#core/errors/api-errors.js';

/**
 * For a POST that takes no fields (an action on a resource): a body, when one is sent, must be an
 * empty JSON object; any field in it is refused like an unknown field anywhere else (422 "Unknown
 * field: x"). A parameter decorator rather than `@Body()`, so the OpenAPI document keeps such
 * routes without a request body and generated clients send none.
 */
export const NoBodyFields = createParamDecorator((_data: unknown, context: ExecutionContext): void => {
  const { body } = context.switchToHttp().getRequest<{ body?: unknown }>();
  if (body === undefined || body === null) return;
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequestError('Request body must be a JSON object');
  const unknown = Object.keys(body);
  if (unknown.length === 0) return;
  const errors = Object.fromEntries(unknown.map((field) => [field, ['unknown field']]));
  throw new ValidationError(`Unknown field: ${unknown[0]}`, errors);
});
