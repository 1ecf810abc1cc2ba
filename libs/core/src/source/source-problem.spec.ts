import { connectionProblem, isTimeout } from './source-problem.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('connectionProblem', () => {
  it.each([
    ['28P01', 'password authentication failed for user "app"', 'password'],
    ['28000', 'role "nobody" does not exist', 'username'],
    ['3D000', 'database "nope" does not exist', 'database'],
  ])('puts SQLSTATE %s on the field the user got wrong', (code, message, field) => {
    expect(connectionProblem(pgError(code, message)).problem).toEqual({ field, reason: message, timedOut: false });
  });

  it('reports network failures on hostname as "could not connect", marking timeouts', () => {
    expect(connectionProblem(pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1')).problem).toEqual({
      field: 'hostname',
      reason: 'could not connect: connect ECONNREFUSED 127.0.0.1:1',
      timedOut: false,
    });
    expect(connectionProblem(new Error('timeout expired')).problem).toMatchObject({
      field: 'hostname',
      timedOut: true,
    });
  });

  it('reports TLS failures on ssl', () => {
    expect(connectionProblem(new Error('The server does not support SSL connections')).problem.field).toBe('ssl');
  });

  it('recognises client and server timeouts', () => {
    expect(isTimeout(new Error('Query read timeout'))).toBe(true);
    expect(isTimeout(pgError('57014', 'canceling statement due to statement timeout'))).toBe(true);
    expect(isTimeout(pgError('ECONNREFUSED', 'refused'))).toBe(false);
  });
});
