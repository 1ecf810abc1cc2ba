import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './databases.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TS_LOADER = `${ROOT}libs/testing/src/register-ts.mjs`;

/** The process entry points: `npm start`, `npm run start:api`, `npm run start:worker`, `npm run migrate`. */
export const ENTRY_POINTS = {
  sluice: `${ROOT}apps/sluice/src/main.ts`,
  api: `${ROOT}apps/api/src/main.ts`,
  worker: `${ROOT}apps/worker/src/main.ts`,
  migrate: `${ROOT}scripts/migrate.ts`,
} as const;

export type EntryPoint = keyof typeof ENTRY_POINTS;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface EntryProcess {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Everything it wrote, for failure messages. */
  output(): string;
  readonly exited: Promise<ExitStatus>;
  /** The first match of `pattern` in stdout; fails at once if the process exits first. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** The first JSON log line (pino) whose fields match `predicate`. */
  waitForLogLine(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Every JSON log line written so far. */
  logLines(): LogLine[];
  /** The exit status once it has exited by itself (fails after `timeoutMs`). */
  waitForExit(timeoutMs?: number): Promise<ExitStatus>;
  /** Sends `signal` and waits for the exit (fails after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitStatus>;
  /** SIGKILL if still running (cleanup after a failed test). */
  kill(): Promise<void>;
}

export type LogLine = Record<string, unknown> & { level?: number; msg?: string };

export interface SpawnEntryOptions {
  /** The whole environment besides PATH: nothing of the test's own environment leaks in. */
  env?: Record<string, string>;
  /** Working directory; `npm start` keeps its embedded servers in `<cwd>/.sluice`. Default: the repository. */
  cwd?: string;
  /** Node options before the entry point, e.g. `--expose-gc`. */
  nodeArgs?: string[];
}

/**
 * Runs an entry point from the TypeScript sources in its own OS process, as `npm start` and the
 * `start:*` scripts run the built one.
 */
export function spawnEntry(entry: EntryPoint, options: SpawnEntryOptions = {}): EntryProcess {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', TS_LOADER, ENTRY_POINTS[entry]], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${entry} did not start`);
  const pid = child.pid;
  let stdout = '';
  let stderr = '';
  let status: ExitStatus | null = null;
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close', not 'exit': by then everything it wrote has been read.
  const exited = new Promise<ExitStatus>((resolve) =>
    child.once('close', (code, signal) => resolve((status = { code, signal }))),
  );
  const output = (): string => `--- stdout\n${stdout}\n--- stderr\n${stderr}`;
  const logLines = (): LogLine[] => stdout.split('\n').flatMap(parseLogLine);
  /** Polls `check`; a timeout names what was awaited and shows the output as it is then. */
  const poll = async <T>(what: string, check: () => T | undefined, timeoutMs: number): Promise<T> => {
    try {
      return await waitFor(async () => check(), { timeoutMs, message: `${entry}: ${what} within ${timeoutMs} ms` });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${output()}`, { cause: error });
    }
  };
  const untilExitOr = <T>(what: string, check: () => T | undefined, timeoutMs: number): Promise<T> =>
    poll(
      `no ${what}`,
      () => {
        const found = check();
        if (found === undefined && status !== null)
          throw new Error(`${entry} exited (${JSON.stringify(status)}) before ${what}`);
        return found;
      },
      timeoutMs,
    );
  const waitForExit = (timeoutMs = 20_000): Promise<ExitStatus> =>
    poll('still running', () => status ?? undefined, timeoutMs);

  return {
    child,
    pid,
    stdout: () => stdout,
    stderr: () => stderr,
    output,
    exited,
    waitForStdout: (pattern, timeoutMs = 20_000) =>
      untilExitOr(`output matching ${pattern}`, () => pattern.exec(stdout) ?? undefined, timeoutMs),
    waitForLogLine: (predicate, timeoutMs = 20_000) =>
      untilExitOr('matching log line', () => logLines().find(predicate), timeoutMs),
    logLines,
    waitForExit,
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (status === null) child.kill(signal);
      return waitForExit(timeoutMs);
    },
    async kill() {
      if (status === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

function parseLogLine(text: string): LogLine[] {
  if (!text.startsWith('{')) return [];
  try {
    return [JSON.parse(text) as LogLine];
  } catch {
    return [];
  }
}
