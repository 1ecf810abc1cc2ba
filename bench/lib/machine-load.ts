import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename } from 'node:path';
import { round } from './format.js';

/**
 * How much of the machine other work used while a case ran: busy CPU time of the whole machine
 * (/proc/stat) minus that of this process and its descendants (Postgres, Redis, agents, tools; the
 * time of exited children is counted by whoever reaped them, which is us or the postmaster). Linux
 * only; elsewhere it reports nothing.
 */
export interface CpuSnapshot {
  machineBusy: number;
  machineTotal: number;
  ours: number;
  /** Own CPU ticks (utime + stime) of each live process of the bench's tree. */
  processes: Map<number, number>;
  /** CPU ticks of the children each live process of the tree has reaped (cutime + cstime). */
  reaped: Map<number, number>;
}

export interface OtherLoad {
  /** Share of the machine's CPU time (all cores) used by processes outside the bench. */
  othersShare: number;
  /** Share used by the bench and its servers. */
  oursShare: number;
}

export function cpuSnapshot(): CpuSnapshot | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest times are already inside user).
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields as number[];
    const machineBusy = user! + nice! + system! + irq! + softirq! + (steal ?? 0);
    const tree = processTree(process.pid);
    let ours = 0;
    const processes = new Map<number, number>();
    const reaped = new Map<number, number>();
    for (const [pid, { ticks, ownTicks }] of tree) {
      ours += ticks;
      processes.set(pid, ownTicks);
      reaped.set(pid, ticks - ownTicks);
    }
    return { machineBusy, machineTotal: machineBusy + idle! + iowait!, ours, processes, reaped };
  } catch {
    return null;
  }
}

export function otherLoad(before: CpuSnapshot | null, after: CpuSnapshot | null): OtherLoad | null {
  if (before === null || after === null) return null;
  const total = after.machineTotal - before.machineTotal;
  if (total <= 0) return null;
  const busy = after.machineBusy - before.machineBusy;
  const ours = Math.min(busy, after.ours - before.ours);
  return { othersShare: Math.max(0, busy - ours) / total, oursShare: ours / total };
}

/**
 * Cores each process of the bench's tree used between two snapshots (a process started since counts
 * from its start), summed by what it is: a Postgres process by its title (`postgres: <user> <database>`,
 * `postgres: walsender <user>`), this process as `bench (Sluice)`, others by their program and script.
 * A process that ended meanwhile counts for its parent, labelled `<parent>: exited children`, once
 * reaped (a backend closed by the product: its postmaster). Largest first.
 */
export function cpuByProcess(
  before: CpuSnapshot | null,
  after: CpuSnapshot | null,
): Array<{ process: string; cores: number }> {
  if (before === null || after === null) return [];
  const elapsedPerCore = (after.machineTotal - before.machineTotal) / cpus().length;
  if (elapsedPerCore <= 0) return [];
  const byLabel = new Map<string, number>();
  const add = (label: string, ticks: number): void => {
    if (ticks > 0) byLabel.set(label, (byLabel.get(label) ?? 0) + ticks / elapsedPerCore);
  };
  for (const [pid, ticks] of after.processes) {
    const label = labelOf(pid);
    if (label === null) continue;
    add(label, ticks - (before.processes.get(pid) ?? 0));
    // A process that was not there before reaped no child inside the window before it started.
    add(
      `${label}: exited children`,
      (after.reaped.get(pid) ?? 0) - (before.reaped.get(pid) ?? after.reaped.get(pid) ?? 0),
    );
  }
  return [...byLabel].map(([process, cores]) => ({ process, cores })).sort((a, b) => b.cores - a.cores);
}

/**
 * Each process's cores (from `cpuByProcess`, at least 0.01) and CPU per unit of work (change, row) over
 * `elapsedMs` for `units` of work: what A/B comparisons can rely on when rates and limits swing with the
 * machine. Returns the note the cases print and the rows they keep in their results (`cpu_us_per_<unit>`).
 */
export function cpuPerUnit(
  byProcess: Array<{ process: string; cores: number }>,
  elapsedMs: number,
  units: number,
  unit: string,
): { note: string; rows: Array<Record<string, string | number>> } {
  const busy = byProcess.filter((p) => p.cores >= 0.01);
  const perUnit = (cores: number): number => (cores * elapsedMs * 1000) / units;
  const coresInAll = busy.reduce((sum, p) => sum + p.cores, 0);
  const note = `cores busy during the product, and CPU per ${unit}: ${busy
    .slice(0, 6)
    .map((p) => `${p.process} ${round(p.cores, 2)} (${round(perUnit(p.cores), 1)} µs)`)
    .join(', ')}; ${round(coresInAll, 2)} cores (${round(perUnit(coresInAll), 1)} µs) in all`;
  return {
    note,
    rows: busy.map((p) => ({
      process: p.process,
      cores: round(p.cores, 3),
      [`cpu_us_per_${unit}`]: round(perUnit(p.cores), 2),
    })),
  };
}

function labelOf(pid: number): string | null {
  if (pid === process.pid) return 'bench (Sluice)';
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    if (argv[0]?.startsWith('postgres:')) return argv[0].split(' ').slice(0, 3).join(' ');
    if (basename(argv[0] ?? '') === 'postgres') {
      // The postmaster: the port tells the bench's servers apart (sources, metadata).
      const port = argv.find((arg) => arg.startsWith('port='));
      return `postmaster${port === undefined ? '' : ` ${port}`}`;
    }
    return argv
      .slice(0, 2)
      .map((arg) => basename(arg.split(' ')[0]!)) // Redis retitles itself `redis-server <address>`
      .join(' ');
  } catch {
    return null; // gone meanwhile
  }
}

/**
 * `root` and every live descendant: ticks = utime + stime + cutime + cstime (children it reaped
 * included), ownTicks = utime + stime, in clock ticks.
 */
function processTree(root: number): Map<number, { ticks: number; ownTicks: number }> {
  const stats = new Map<number, { ppid: number; ticks: number; ownTicks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command may contain spaces and parentheses: fields start after the last ')'.
      const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(rest[1]);
      const ownTicks = Number(rest[11]) + Number(rest[12]);
      stats.set(Number(entry), { ppid, ownTicks, ticks: ownTicks + Number(rest[13]) + Number(rest[14]) });
    } catch {
      // Gone meanwhile.
    }
  }
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of stats) {
    let list = children.get(ppid);
    if (list === undefined) children.set(ppid, (list = []));
    list.push(pid);
  }
  const tree = new Map<number, { ticks: number; ownTicks: number }>();
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    const stat = stats.get(pid);
    if (stat) tree.set(pid, stat);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}
