import { BadRequestError } from '#core/errors/api-errors.js';
import { parseMessageQuery } from './message-query.js';

describe('parseMessageQuery', () => {
  it('takes each state, with limit 100 by default', () => {
    for (const state of ['pending', 'failing', 'dead', 'delivered'] as const) {
      expect(parseMessageQuery({ state })).toEqual({ state, limit: 100 });
    }
    expect(parseMessageQuery({ state: 'dead', limit: '1' })).toEqual({ state: 'dead', limit: 1 });
    expect(parseMessageQuery({ state: 'dead', limit: '1000' })).toEqual({ state: 'dead', limit: 1000 });
  });

  it.each([
    [{}, /state must be one of/],
    [{ state: 'stuck' }, /state must be one of/],
    [{ state: ['dead', 'failing'] }, /state must be one of/],
    [{ state: 'dead', limit: '0' }, /limit must be an integer from 1 to 1000/],
    [{ state: 'dead', limit: '1001' }, /limit must be an integer/],
    [{ state: 'dead', limit: '1.5' }, /limit must be an integer/],
    [{ state: 'dead', limit: '-1' }, /limit must be an integer/],
    [{ state: 'dead', limit: 'ten' }, /limit must be an integer/],
    [{ state: 'dead', limit: ['1', '2'] }, /limit must be an integer/],
    [{ state: 'dead', colour: 'red' }, /Unknown parameter: colour/],
  ])('refuses %j with 400', (query, message) => {
    expect(() => parseMessageQuery(query)).toThrow(BadRequestError);
    expect(() => parseMessageQuery(query)).toThrow(message);
  });
});
