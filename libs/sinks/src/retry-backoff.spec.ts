import { retryDelayMs } from './retry-backoff.js';

describe('retryDelayMs', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [8, 128_000],
    [9, 180_000],
    [500, 180_000],
  ])('after %i failures waits %i ms without jitter', (attempts, expected) => {
    expect(retryDelayMs(attempts, () => 0.5)).toBe(expected);
  });

  it('jitters by at most ±15 %', () => {
    expect(retryDelayMs(1, () => 0)).toBe(850);
    expect(retryDelayMs(1, () => 1)).toBe(1150);
    for (let i = 0; i < 1000; i++) {
      const delay = retryDelayMs(3);
      expect(delay).toBeGreaterThanOrEqual(3400);
      expect(delay).toBeLessThanOrEqual(4600);
    }
  });

  it('never waits more than 180 s: at the cap the jitter only shortens the wait', () => {
    expect(retryDelayMs(20, () => 1)).toBe(180_000);
    expect(retryDelayMs(20, () => 0)).toBe(153_000);
    // 128 s × 1.15 would be 147.2 s: still below the cap, jittered both ways.
    expect(retryDelayMs(8, () => 1)).toBe(147_200);
    for (const attempts of [9, 10, 30, 500]) {
      for (let i = 0; i < 1000; i++) {
        const delay = retryDelayMs(attempts);
        expect(delay).toBeGreaterThanOrEqual(153_000);
        expect(delay).toBeLessThanOrEqual(180_000);
      }
    }
  });
});
