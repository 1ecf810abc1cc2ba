import { performance } from 'node:perf_hooks';

/**
 * Wall-clock time in milliseconds with sub-millisecond resolution: the process' time origin plus the
 * monotonic clock. Comparable with Postgres' commit timestamps (same machine clock).
 */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

const ISO_MICROS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z$/;

/** `2026-11-23T10:00:00.123456Z` → epoch milliseconds with the microseconds kept as a fraction. */
export function parseIsoMicros(text: string): number {
  const match = ISO_MICROS.exec(text);
  if (match === null) throw new Error(`not an ISO-8601 UTC timestamp: ${text}`);
  const whole = Date.parse(`${match[1]}Z`);
  const fraction = match[2] === undefined ? 0 : Number(match[2].padEnd(6, '0')) / 1000;
  return whole + fraction;
}

/** Epoch milliseconds (fractional) → `2026-11-23T10:00:00.123456Z`. */
export function formatIsoMicros(epochMs: number): string {
  const whole = Math.floor(epochMs);
  const micros = Math.round((epochMs - whole) * 1000);
  const carry = micros === 1000 ? 1 : 0;
  const iso = new Date(whole + carry).toISOString(); // …SS.mmmZ
  return `${iso.slice(0, -1)}${String(carry ? 0 : micros).padStart(3, '0')}Z`;
}

/** Value at quantile q (0..1) of an ascending array, nearest-rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** The monotonic clock in microseconds: what V8 stamps `--cpu-prof` samples with. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
