import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { randomUUID } from 'node:crypto';
import { ApiError } from '#core/errors/api-errors.js';

/** Nest's own exceptions (404 route, 401 guard, 503 health) keep their status; the body takes the spec's shape. */
function bodyOf(exception: HttpException): Record<string, unknown> {
  const response = exception.getResponse();
  if (typeof response === 'object' && response !== null && 'summary' in response)
    return response as Record<string, unknown>;
  return { summary: summaryOf(exception) };
}

function summaryOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/** Every error leaves the API in the spec's shape; unexpected ones get an error id that is also logged. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return;
    if (exception instanceof ApiError) {
      response.status(exception.status).json(exception.body());
      return;
    }
    if (exception instanceof HttpException && exception.getStatus() !== 500) {
      response.status(exception.getStatus()).json(bodyOf(exception));
      return;
    }
    const errorId = randomUUID();
    this.logger.error({ err: exception, error_id: errorId }, `Unhandled error ${errorId}`);
    response
      .status(500)
      .json({ summary: `Internal error; quote error id ${errorId} when reporting it`, error_id: errorId });
  }
}
