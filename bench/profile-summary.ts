import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { addTo, type CallFrame, frameName, largest } from './lib/profile-frames.js';
import { stagesOf } from './lib/profile-stages.js';

/**
 * Where the time goes: self time of a `--cpu-prof` profile by area (Sluice's own directories, each npm
 * package, GC, idle) and by function, optionally only inside a case's measured window.
 *
 *   BENCH_LIMITS=off node --cpu-prof --cpu-prof-dir=prof dist/bench/run.js catch-up
 *   node dist/bench/profile-summary.js prof/CPU.*.cpuprofile catch-up [changes]
 *
 * With the number of changes (or rows) in the window, the time by stage is also given per change.
 *
 * With a case name the window is read from bench/results/latest.json (`details.profile_window_us`,
 * the monotonic-clock microseconds V8 stamps its samples with).
 */
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

function area(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native code: builtins, JSON, Buffer)';
  const npm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (npm) return `npm ${npm[1]}`;
  const ours = /dist\/((?:libs|apps)\/[^/]+\/src\/[^/]+|bench)/.exec(url);
  if (ours) return ours[1]!;
  if (url.startsWith('node:')) return 'node internals (streams, sockets, timers)';
  return url;
}

function main(): void {
  const [file, caseName, countArg] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node dist/bench/profile-summary.js <file.cpuprofile> [case [changes]]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  let window: [number, number] | undefined;
  if (caseName) {
    const results = JSON.parse(
      readFileSync(fileURLToPath(new URL('../../bench/results/latest.json', import.meta.url)), 'utf8'),
    ) as Record<string, { details?: { profile_window_us?: [number, number] } }>;
    window = results[caseName]?.details?.profile_window_us;
    if (!window) throw new Error(`bench/results/latest.json has no profile_window_us for ${caseName}`);
  }
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0;
    if (window && (time < window[0] || time > window[1])) continue;
    const delta = profile.timeDeltas[i + 1] ?? 0; // A sample stands for the time until the next one.
    self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + delta);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const stages = stagesOf(nodes, profile.nodes[0]!.id); // V8 writes the root first
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const byStage = new Map<string, number>();
  for (const [id, micros] of self) {
    const { callFrame } = nodes.get(id)!;
    addTo(byArea, area(callFrame.url, callFrame.functionName), micros);
    addTo(byFunction, frameName(callFrame), micros);
    addTo(byStage, stages.get(id)!, micros);
  }
  const busy = total - (byArea.get('(idle)') ?? 0);
  const print = (title: string, entries: Map<string, number>, limit: number): void => {
    process.stdout.write(`\n${title}\n`);
    for (const [name, micros] of largest(entries, limit)) {
      const share = name === '(idle)' ? '' : `${((100 * micros) / busy).toFixed(1).padStart(5)} % of busy`;
      process.stdout.write(`${(micros / 1000).toFixed(0).padStart(8)} ms ${share.padEnd(16)} ${name}\n`);
    }
  };
  process.stdout.write(
    `${window ? `window ${caseName}: ` : ''}${(total / 1000).toFixed(0)} ms sampled, ${(busy / 1000).toFixed(0)} ms busy\n`,
  );
  print('by stage of the data path (nearest frame with a stage, from the leaf up)', byStage, 10);
  const count = Number(countArg);
  if (count > 0) {
    process.stdout.write(`\nby stage, per change (${count} in the window)\n`);
    for (const [name, micros] of largest(byStage, 10)) {
      process.stdout.write(`${(micros / count).toFixed(2).padStart(8)} µs  ${name}\n`);
    }
  }
  print('by area (self time)', byArea, 25);
  print('by function (self time)', byFunction, 40);
}

main();
