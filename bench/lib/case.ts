import type { BenchEnvironment } from './environment.js';
import type { BenchSettings } from './settings.js';

/**
 * One benchmark case: a file in bench/cases/ exporting `benchCase`. The runner finds the files itself,
 * so adding a case is adding a file.
 */
export interface BenchCase {
  /** Command-line name: `node dist/bench/run.js <name>`. */
  name: string;
  /** Position in a full run (lower first). */
  order: number;
  /** What the table's first column says. */
  title: string;
  run(context: CaseContext): Promise<CaseResult>;
}

export interface CaseContext {
  env: BenchEnvironment;
  settings: BenchSettings;
  /** Progress line on stderr, prefixed with the case name. */
  log(message: string): void;
  /**
   * Other cases this one measures in passing, whose rows it returns in `companions` (the memory case
   * measures the latency case's figures over the first seconds of its own, identical, load).
   */
  companions: string[];
}

/** One row of the table and one entry of results/latest.json. */
export interface CaseResult {
  /** The product's figure (in `unit`); null when it could not be measured. */
  product: number | null;
  /** The machine's limit measured in the same run, when the case has one. */
  limit: number | null;
  /** product / limit (null without a limit). */
  ratio: number | null;
  /** The goal, as written in issue 6. */
  target: string;
  unit: string;
  /** Whether the figures meet the target (null when the case has no figure). */
  targetMet: boolean | null;
  /** Text of the table's "met" column when yes/no does not say it (e.g. measured below the target's load). */
  metText?: string;
  /** The correctness check inside the case: every change present, in order. */
  correct: boolean;
  /** Text of the table's product column, when the number alone does not say it (e.g. p50/p99/max). */
  productText?: string;
  limitText?: string;
  /** Lines printed under the table: the other limits, what failed. */
  notes: string[];
  details: Record<string, unknown>;
  /** The rows of the cases named in the context's `companions`, by name. */
  companions?: Record<string, CaseResult>;
}

export function ratioOf(product: number | null, limit: number | null): number | null {
  if (product === null || limit === null || limit <= 0) return null;
  return product / limit;
}
