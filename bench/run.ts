import { readdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import { relative } from 'node:path';
import type { BenchCase, CaseResult } from './lib/case.js';
import { startEnvironment, type BenchEnvironment } from './lib/environment.js';
import { round } from './lib/format.js';
import { cpuSnapshot, otherLoad } from './lib/machine-load.js';
import { formatTable, type NamedResult, writeResults } from './lib/report.js';
import { readSettings } from './lib/settings.js';

/**
 * `npm run bench [-- case…]`: starts a private Postgres and Redis, runs the cases (every file in
 * cases/, or the ones named), prints one table and writes bench/results/latest.json. Run from dist/.
 */
const MAX_MINUTES = Number(process.env.BENCH_MAX_MINUTES || 15);

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

async function discoverCases(): Promise<BenchCase[]> {
  const dir = new URL('./cases/', import.meta.url);
  const files = (await readdir(dir)).filter((file) => file.endsWith('.js'));
  const cases: BenchCase[] = [];
  for (const file of files) {
    const module = (await import(new URL(file, dir).href)) as { benchCase?: BenchCase };
    if (module.benchCase) cases.push(module.benchCase);
  }
  return cases.sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
}

function failed(error: unknown): CaseResult {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return {
    product: null,
    limit: null,
    ratio: null,
    target: '—',
    unit: '',
    targetMet: false,
    correct: false,
    productText: 'ERROR',
    notes: [`failed: ${message.split('\n').slice(0, 4).join(' ⏎ ')}`],
    details: { error: message },
  };
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const settings = readSettings();
  const all = await discoverCases();
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !all.some((c) => c.name === name));
  if (unknown.length > 0) {
    log(`unknown case ${unknown.join(', ')}; cases: ${all.map((c) => c.name).join(', ')}`);
    return 2;
  }
  const selected = wanted.length === 0 ? all : all.filter((c) => wanted.includes(c.name));
  // The latency case's load is the memory case's first seconds: measured there, a full run is a case shorter.
  const latencyInMemory =
    !settings.latencyAlone &&
    selected.some((c) => c.name === 'memory') &&
    selected.some((c) => c.name === 'latency') &&
    settings.memoryS >= settings.latencyWarmUpS + settings.durationS;
  const cases = latencyInMemory ? selected.filter((c) => c.name !== 'latency') : selected;
  const companionsOf = (name: string): string[] => (latencyInMemory && name === 'memory' ? ['latency'] : []);

  let env: BenchEnvironment | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= env?.stop() ?? Promise.resolve());
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping the servers`);
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const watchdog = setTimeout(() => {
    log(`still running after ${MAX_MINUTES} minutes (BENCH_MAX_MINUTES): giving up`);
    void stop().finally(() => process.exit(1));
  }, MAX_MINUTES * 60_000);
  watchdog.unref();

  const results: NamedResult[] = [];
  try {
    env = await startEnvironment(settings, log);
    for (const benchCase of cases) {
      const caseStarted = Date.now();
      const cpuBefore = cpuSnapshot();
      log(`— ${benchCase.name} —`);
      let result: CaseResult;
      try {
        result = await benchCase.run({
          env,
          settings,
          log: (message) => log(`[${benchCase.name}] ${message}`),
          companions: companionsOf(benchCase.name),
        });
      } catch (error) {
        log(`[${benchCase.name}] failed: ${(error as Error).stack ?? String(error)}`);
        result = failed(error);
      }
      result.details.case_seconds = Math.round((Date.now() - caseStarted) / 100) / 10;
      // Other work on the machine (another session's tests) skews figures: say how much there was.
      const load = otherLoad(cpuBefore, cpuSnapshot());
      if (load !== null) {
        result.details.cpu_share = { bench: round(load.oursShare, 3), other_processes: round(load.othersShare, 3) };
        if (load.othersShare > 0.1) {
          result.notes.push(
            `other processes used ${Math.round(load.othersShare * 100)} % of the machine's CPU during this case ` +
              `(the bench ${Math.round(load.oursShare * 100)} %): figures are noisy`,
          );
        }
      }
      results.push({ name: benchCase.name, title: benchCase.title, result });
      for (const name of companionsOf(benchCase.name)) {
        const companion = all.find((c) => c.name === name)!;
        const measured = result.companions?.[name] ?? failed(new Error(`not measured by the ${benchCase.name} case`));
        measured.details.measured_by = benchCase.name;
        results.push({ name, title: companion.title, result: measured });
      }
      delete result.companions;
      if (benchCase !== cases.at(-1)) await env.settle();
    }
  } finally {
    await stop();
  }

  const order = (name: string): number => all.findIndex((c) => c.name === name);
  results.sort((a, b) => order(a.name) - order(b.name));
  const run = {
    started_at: startedAt.toISOString(),
    seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    node: process.version,
    cpus: cpus().length,
    postgres_fsync: settings.pgFsync,
    settings,
  };
  process.stdout.write(`\n${formatTable(results)}\n\n`);
  const files = await writeResults(results, run, startedAt);
  log(`results: ${files.map((file) => relative(process.cwd(), file)).join(', ')} (${run.seconds} s in all)`);
  return results.every((r) => r.result.correct) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
