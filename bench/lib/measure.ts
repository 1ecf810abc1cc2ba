import { formatRate, round } from './format.js';
import type { RateMeasurement } from './limits.js';
import { cpuSnapshot, otherLoad } from './machine-load.js';

/**
 * Runs one limit measurement with the other processes' CPU share recorded; a failure becomes a note
 * (and an entry of `errors`) instead of failing the case.
 */
export async function measureLimit(
  name: string,
  measure: () => Promise<RateMeasurement>,
  out: { log(message: string): void; notes: string[]; errors: Record<string, string> },
): Promise<RateMeasurement | null> {
  try {
    const before = cpuSnapshot();
    const measured = await measure();
    measured.othersShare = otherLoad(before, cpuSnapshot())?.othersShare ?? null;
    out.log(`${name}: ${formatRate(measured.rate)}/s (${round(measured.seconds, 2)} s)`);
    return measured;
  } catch (error) {
    const message = (error as Error).message;
    out.errors[name] = message;
    out.notes.push(`${name} failed: ${message.split('\n')[0]}`);
    out.log(`${name} failed: ${message}`);
    return null;
  }
}

export function rateText(measured: RateMeasurement | null): string {
  return measured === null ? '—' : formatRate(measured.rate);
}

/** A measurement as it goes into results/latest.json. */
export function measurementJson(measured: RateMeasurement | null): Record<string, number | null> | null {
  return (
    measured && {
      rate: round(measured.rate, 0),
      seconds: round(measured.seconds, 3),
      count: measured.count,
      other_processes_cpu_share: measured.othersShare == null ? null : round(measured.othersShare, 3),
    }
  );
}

export function percent(share: number | null | undefined): string {
  return share === null || share === undefined ? '—' : `${Math.round(share * 100)} %`;
}

/** An integer knob of the environment (`BENCH_…`), like settings.ts reads its own. */
export function intKnob(name: string, fallback: number, min = 1): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${text}"`);
  return value;
}
