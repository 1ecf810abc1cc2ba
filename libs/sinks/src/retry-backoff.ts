const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 180_000;
const JITTER = 0.15;

/**
 * Delay before the next attempt after `failedAttempts` failures (≥ 1): 1 s doubling, ±15 % jitter so
 * that many failing messages do not retry in lockstep, never more than 180 s (at the cap the jitter
 * can only shorten the wait).
 */
export function retryDelayMs(failedAttempts: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, failedAttempts - 1);
  const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(exponent, 30));
  return Math.min(MAX_DELAY_MS, Math.round(base * (1 + JITTER * (2 * random() - 1))));
}
