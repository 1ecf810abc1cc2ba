import { civilFromDays, daysFromCivil, formatIsoYear } from './civil-date.js';

describe('civil date arithmetic', () => {
  it.each([
    [1970, 1, 1, 0],
    [2000, 3, 1, 11017],
    [1969, 12, 31, -1],
    [0, 1, 1, -719528],
    [-4712, 11, 24, -2440222],
  ])('%i-%i-%i is day %i', (year, month, day, days) => {
    expect(daysFromCivil(year, month, day)).toBe(days);
    expect(civilFromDays(days)).toStrictEqual({ year, month, day });
  });

  it('round-trips every day agreeing with Date.UTC across 5 centuries', () => {
    for (let days = -200_000; days < 200_000; days += 17) {
      const date = new Date(days * 86_400_000);
      const civil = civilFromDays(days);
      expect(civil).toStrictEqual({
        year: date.getUTCFullYear(),
        month: date.getUTCMonth() + 1,
        day: date.getUTCDate(),
      });
      expect(daysFromCivil(civil.year, civil.month, civil.day)).toBe(days);
    }
  });

  it.each([
    [2026, '2026'],
    [44, '0044'],
    [0, '0000'],
    [-43, '-0043'],
    [-12345, '-12345'],
    [294276, '294276'],
  ])('formats year %i as %s', (year, text) => {
    expect(formatIsoYear(year)).toBe(text);
  });
});
