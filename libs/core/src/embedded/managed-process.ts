import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

export interface RunAs {
  uid: number;
  gid: number;
}

export interface ManagedProcessOptions {
  /** Drop root privileges to this user (Postgres refuses to run as root). */
  runAs?: RunAs;
  /** Signal the child receives if this Node process dies without stopping it (Linux, via setpriv). */
  parentDeathSignal: NodeJS.Signals;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const SETPRIV_CANDIDATES = ['/usr/bin/setpriv', '/bin/setpriv'];
const OUTPUT_LINES_KEPT = 40;

/**
 * A server process we own: its output is always drained (a full pipe would block it), it runs in its
 * own process group (Ctrl-C in the terminal reaches only us, so we choose the shutdown order), and on
 * Linux it gets a parent-death signal so a crashed or SIGKILLed Node process leaves no server behind.
 */
export class ManagedProcess {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  private exitStatus: ExitStatus | undefined;
  private readonly recentLines: string[] = [];

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    log: ((line: string) => void) | undefined,
  ) {
    if (child.pid === undefined) throw new Error(`${name} did not start`);
    this.pid = child.pid;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
    });
    const onLine = (line: string): void => {
      this.recentLines.push(line);
      if (this.recentLines.length > OUTPUT_LINES_KEPT) this.recentLines.shift();
      log?.(line);
    };
    for (const stream of [child.stdout, child.stderr]) {
      let pending = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop() ?? '';
        lines.filter((line) => line.trim() !== '').forEach(onLine);
      });
    }
  }

  get hasExited(): boolean {
    return this.exitStatus !== undefined;
  }

  /** The last lines the process printed, for error messages. */
  recentOutput(): string {
    return this.recentLines.join('\n');
  }

  /**
   * Sends `signal`, waits up to `timeoutMs` for the process to exit, then kills its whole process group.
   * Resolves once the process and everything in its group are gone.
   */
  async stop(signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    if (!this.hasExited) {
      this.child.kill(signal);
      if (!(await settlesWithin(this.exited, timeoutMs))) {
        killProcessGroup(this.pid, 'SIGKILL');
        await this.exited;
      }
    }
    // Children of a server normally exit before it; make sure, without trusting that.
    if (processGroupMembers(this.pid).length > 0) {
      killProcessGroup(this.pid, 'SIGKILL');
      await waitUntil(() => processGroupMembers(this.pid).length === 0, 5_000);
    }
  }
}

export function spawnManaged(
  name: string,
  command: string,
  args: string[],
  options: ManagedProcessOptions,
): ManagedProcess {
  const setpriv = SETPRIV_CANDIDATES.find((path) => existsSync(path));
  const spawnOptions = {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  };
  let child: ChildProcess;
  if (setpriv !== undefined) {
    // setpriv exec()s the server, so the pid we hold is the server's own.
    const privilegeArgs = options.runAs
      ? [`--reuid=${options.runAs.uid}`, `--regid=${options.runAs.gid}`, '--clear-groups']
      : [];
    const deathSignal = `--pdeathsig=${options.parentDeathSignal}`;
    child = spawn(setpriv, [...privilegeArgs, deathSignal, '--', command, ...args], spawnOptions);
  } else {
    child = spawn(command, args, { ...spawnOptions, uid: options.runAs?.uid, gid: options.runAs?.gid });
  }
  return new ManagedProcess(name, child, options.log);
}

/** Pids of the live (non-zombie) processes in a process group. Linux only; elsewhere the leader if alive. */
export function processGroupMembers(pgid: number): number[] {
  if (!existsSync('/proc/self/stat')) return isAlive(pgid) ? [pgid] : [];
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z') members.push(Number(entry));
  }
  return members;
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  if (existsSync('/proc/self/stat')) {
    const stat = readProcStat(pid);
    return stat !== undefined && stat.state !== 'Z';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readProcStat(pid: number): { state: string; ppid: number; pgrp: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses; the fields after its last ")" do not.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], ppid: Number(fields[1]), pgrp: Number(fields[2]) };
}

function killProcessGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

/** Whether `promise` settles within `timeoutMs`, without keeping a timer alive afterwards. */
export async function settlesWithin(promise: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([promise.then(() => true), delay(timeoutMs, false, { signal: timer.signal })]);
  } finally {
    timer.abort();
  }
}

export async function waitUntil(condition: () => boolean, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await delay(intervalMs);
  }
  return true;
}
