import { jest } from '@jest/globals';
import { type ArgumentsHost, Logger, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { ValidationError } from '#core/errors/api-errors.js';
import { ApiExceptionFilter } from './api-exception.filter.js';

function respond(exception: unknown) {
  const response = { headersSent: false, statusCode: 0, body: undefined as unknown };
  const res = {
    get headersSent() {
      return response.headersSent;
    },
    status(code: number) {
      response.statusCode = code;
      return this;
    },
    json(body: unknown) {
      response.body = body;
      return this;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost;
  new ApiExceptionFilter().catch(exception, host);
  return response;
}

describe('ApiExceptionFilter', () => {
  it('maps API errors to their status and the spec shape', () => {
    expect(respond(new ValidationError('Bad', { name: ['too long'] }))).toMatchObject({
      statusCode: 422,
      body: { summary: 'Bad', validation_errors: { name: ['too long'] } },
    });
  });

  it("keeps Nest's status for its own exceptions", () => {
    expect(respond(new NotFoundException('Cannot GET /x'))).toMatchObject({
      statusCode: 404,
      body: { summary: 'Cannot GET /x' },
    });
    expect(respond(new ServiceUnavailableException({ ok: false, summary: 'Unhealthy: redis' }))).toMatchObject({
      statusCode: 503,
      body: { ok: false, summary: 'Unhealthy: redis' },
    });
  });

  it('answers unexpected errors with 500 and an error id that is also logged, without leaking the message', () => {
    const logged: unknown[] = [];
    const spy = jest
      .spyOn(Logger.prototype, 'error')
      .mockImplementation((...args: unknown[]) => void logged.push(args));
    try {
      const { statusCode, body } = respond(new Error('password=hunter2 in a driver message'));
      expect(statusCode).toBe(500);
      const { error_id: errorId, summary } = body as { error_id: string; summary: string };
      expect(errorId).toMatch(/^[0-9a-f-]{36}$/);
      expect(summary).toContain(errorId);
      expect(summary).not.toContain('hunter2');
      expect(JSON.stringify(logged)).toContain(errorId);
    } finally {
      spy.mockRestore();
    }
  });
});
