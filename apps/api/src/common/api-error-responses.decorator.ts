import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from './dto/error-response.dto.js';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed request',
  401: 'Missing or invalid API token',
  404: 'Not found (or belongs to another account)',
  413: 'Body over 1 MiB',
  422: 'Validation failed',
  429: 'Too many waiting receivers',
  502: 'The source database or sink refused',
  504: 'The source database or sink timed out',
};

/** Documents the spec's error shape for each status a route can answer with (500 on every route). */
export function ApiErrorResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...[...statuses, 500].map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status] ?? 'Internal error', type: ErrorResponseDto }),
    ),
  );
}
