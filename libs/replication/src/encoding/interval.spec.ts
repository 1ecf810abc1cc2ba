import { parseInterval } from './interval.js';

describe('parseInterval', () => {
  it.each([
    ['00:00:00', { months: 0, days: 0, microseconds: 0 }],
    ['3 days', { months: 0, days: 3, microseconds: 0 }],
    ['-1 mons', { months: -1, days: 0, microseconds: 0 }],
    ['+2 years', { months: 24, days: 0, microseconds: 0 }],
    ['2000000:00:00', { months: 0, days: 0, microseconds: 7200000000000000 }],
    ['2000001:00:00', { months: 0, days: 0, microseconds: 7200003600000000 }],
    ['2501999:00:00', { months: 0, days: 0, microseconds: 9007196400000000 }],
    ['2501999:59:59.999999', { months: 0, days: 0, microseconds: '9007199999999999' }],
    ['-2502000:00:00', { months: 0, days: 0, microseconds: '-9007200000000000' }],
    ['01:02:03.000004', { months: 0, days: 0, microseconds: 3723000004 }],
  ])('%s', (text, expected) => {
    expect(parseInterval(text)).toStrictEqual(expected);
  });

  it.each(['', '1', '1 week', '1 day ago', '@ 1 day', 'P1D', '1:2:3', '1 year 2'])('rejects %j', (text) => {
    expect(parseInterval(text)).toBeNull();
  });
});
