import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { jsonObjectBody, unknownFieldsError } from './json-object-body.js';

/**
 * For a POST that takes no fields (an action on a resource): a body, when one is sent, must be an
 * empty JSON object; any field in it is refused like an unknown field anywhere else (422 "Unknown
 * field: x"). A parameter decorator rather than `@Body()`, so the OpenAPI document keeps such
 * routes without a request body and generated clients send none.
 */
export const NoBodyFields = createParamDecorator((_data: unknown, context: ExecutionContext): void => {
  const fields = Object.keys(jsonObjectBody(context.switchToHttp().getRequest<{ body?: unknown }>().body) ?? {});
  if (fields.length > 0) throw unknownFieldsError(fields);
});
