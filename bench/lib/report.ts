import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { CaseResult } from './case.js';
import { formatRate, round } from './format.js';

/** bench/results/ of the repository (this file runs from dist/bench/lib/). */
export const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));

export interface NamedResult {
  name: string;
  title: string;
  result: CaseResult;
}

export function formatTable(results: NamedResult[]): string {
  const header = ['case', 'product figure', 'limit (same run)', 'ratio', 'target', 'met', 'correct'];
  const rows = results.map(({ title, result }) => [
    title,
    result.productText ?? (result.product === null ? '—' : `${formatNumber(result.product)} ${result.unit}`),
    result.limitText ?? (result.limit === null ? '—' : `${formatNumber(result.limit)} ${result.unit}`),
    result.ratio === null ? '—' : result.ratio.toFixed(2),
    result.target,
    result.metText ?? (result.targetMet === null ? '—' : result.targetMet ? 'yes' : 'NO'),
    result.correct ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const table = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
  const notes = results.flatMap(({ name, result }) => result.notes.map((note) => `  [${name}] ${note}`));
  return [...table, ...(notes.length ? ['', ...notes] : [])].join('\n');
}

function formatNumber(value: number): string {
  return value >= 1000 ? formatRate(value) : String(round(value, 2));
}

/** `{case: {product, limit, ratio, target, unit, details}}` to results/latest.json and a timestamped copy. */
export async function writeResults(
  results: NamedResult[],
  run: Record<string, unknown>,
  startedAt: Date,
): Promise<string[]> {
  const json: Record<string, unknown> = {};
  for (const { name, result } of results) {
    json[name] = {
      product: result.product === null ? null : round(result.product, 2),
      limit: result.limit === null ? null : round(result.limit, 2),
      ratio: result.ratio === null ? null : round(result.ratio, 3),
      target: result.target,
      unit: result.unit,
      details: {
        ...result.details,
        target_met: result.targetMet,
        correct: result.correct,
        notes: result.notes,
        run,
      },
    };
  }
  await mkdir(RESULTS_DIR, { recursive: true });
  const text = `${JSON.stringify(json, null, 2)}\n`;
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const files = [`${RESULTS_DIR}latest.json`, `${RESULTS_DIR}${stamp}.json`];
  for (const file of files) await writeFile(file, text);
  return files;
}
