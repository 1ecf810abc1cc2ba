import { readdirSync, readFileSync } from 'node:fs';

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
    return { machineBusy, machineTotal: machineBusy + idle! + iowait!, ours: treeCpuTicks(process.pid) };
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

/** utime + stime + cutime + cstime of `root` and every live descendant, in clock ticks. */
function treeCpuTicks(root: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command may contain spaces and parentheses: fields start after the last ')'.
      const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(rest[1]);
      const ticks = Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]);
      stats.set(Number(entry), { ppid, ticks });
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
  let total = 0;
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    total += stats.get(pid)?.ticks ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  return total;
}
