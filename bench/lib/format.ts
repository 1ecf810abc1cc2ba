import { lsnToBigInt } from '#core/source/lsn.js';

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** 52345.6 → "52.3k", 812 → "812". */
export function formatRate(value: number): string {
  if (value >= 10_000) return `${(value / 1000).toFixed(1)}k`;
  if (value >= 1_000) return `${(value / 1000).toFixed(2)}k`;
  return value.toFixed(0);
}

export function lsnGte(a: string, b: string): boolean {
  return lsnToBigInt(a) >= lsnToBigInt(b);
}
