import { type Redis, ReplyError } from 'ioredis';
import { EncodedSender, type RespEncoder } from './raw-command.js';
import {
  DELIVERED,
  type DeliveryOutcome,
  ensureConnected,
  failedOutcome,
  settledOutcomes,
} from './redis-connection.js';

export type StringCommand =
  { op: 'set'; key: string; value: string; expireMs: number | null } | { op: 'del'; key: string };

/** Consecutive commands sent as one: MSET for plain SETs, DEL for deletes; a SET with an expiry alone. */
interface Run {
  readonly start: number;
  readonly end: number;
}

/** Room for the commands, so the encoder rarely grows (and copies) its buffer. */
const estimateBytes = (commands: StringCommand[]): number => {
  const first = commands[0]!;
  const chars = first.key.length + (first.op === 'set' ? first.value.length : 0) + 64;
  return Math.max(4096, Math.ceil(chars * commands.length * 1.25));
};

/** This user may not run MSET (an ACL without it, a renamed command): plain SETs from then on. */
const msetRefused = (error: Error): boolean => /NOPERM.*'mset'|unknown command .?mset/i.test(error.message);

/**
 * Pipelined SET / SET PX / DEL, every reply checked. The commands are encoded into one Buffer and go
 * out in one write (ioredis would build and encode each command's strings one by one, which was most
 * of a backfill's delivery cost). Consecutive plain SETs go as one MSET and consecutive deletes as one
 * DEL: a reply per key cost a queued ioredis command, a promise and a settled result per key.
 *
 * Redis refuses an MSET or DEL as a whole when it refuses one of its keys (an ACL's NOPERM, OOM), and
 * applies none of it; such a run is sent again command by command, after the rest of its block, so
 * that one refused key fails alone. Hence runs only in a block whose keys are all distinct: a command
 * sent again must not land after a later command of its block on the same key.
 */
export class RedisStringWriter {
  private readonly sender: EncodedSender;
  private useMset = true;

  constructor(private readonly client: Redis) {
    this.sender = new EncodedSender(client);
  }

  async apply(commands: StringCommand[]): Promise<DeliveryOutcome[]> {
    if (commands.length === 0) return [];
    try {
      await ensureConnected(this.client);
      const runs = this.useMset && distinctKeys(commands) ? runsOf(commands) : oneRunEach(commands);
      const replies = await this.send(commands, runs);
      const outcomes: DeliveryOutcome[] = new Array<DeliveryOutcome>(commands.length);
      const again: number[] = [];
      for (let i = 0; i < runs.length; i++) {
        const run = runs[i]!;
        const reply = replies[i]!;
        if (reply.status === 'rejected' && reply.reason instanceof ReplyError && run.end - run.start > 1) {
          if (msetRefused(reply.reason)) this.useMset = false;
          for (let j = run.start; j < run.end; j++) again.push(j);
          continue;
        }
        const outcome = reply.status === 'fulfilled' ? DELIVERED : failedOutcome(reply.reason as Error);
        for (let j = run.start; j < run.end; j++) outcomes[j] = outcome;
      }
      if (again.length > 0) {
        const retried = again.map((j) => commands[j]!);
        settledOutcomes(await this.send(retried, oneRunEach(retried))).forEach(
          (outcome, k) => (outcomes[again[k]!] = outcome),
        );
      }
      return outcomes;
    } catch (error) {
      return commands.map(() => ({ ok: false, error: (error as Error).message }));
    }
  }

  /** One block: each run's command, one reply per run, settled in order. */
  private send(commands: StringCommand[], runs: Run[]): Promise<PromiseSettledResult<unknown>[]> {
    return this.sender.send(estimateBytes(commands), (encoder) => runs.map((run) => encodeRun(encoder, commands, run)));
  }
}

function distinctKeys(commands: StringCommand[]): boolean {
  const keys = new Set<string>();
  for (const { key } of commands) {
    if (keys.has(key)) return false;
    keys.add(key);
  }
  return true;
}

function oneRunEach(commands: StringCommand[]): Run[] {
  return commands.map((_, i) => ({ start: i, end: i + 1 }));
}

function runsOf(commands: StringCommand[]): Run[] {
  const runs: Run[] = [];
  let start = 0;
  while (start < commands.length) {
    const first = commands[start]!;
    if (first.op === 'set' && first.expireMs !== null) {
      runs.push({ start, end: start + 1 });
      start++;
      continue;
    }
    let end = start + 1;
    while (end < commands.length && sameRun(first, commands[end]!)) end++;
    runs.push({ start, end });
    start = end;
  }
  return runs;
}

function sameRun(first: StringCommand, next: StringCommand): boolean {
  return first.op === 'del' ? next.op === 'del' : next.op === 'set' && next.expireMs === null;
}

/** Writes a run's command and returns its name (one reply each). */
function encodeRun(encoder: RespEncoder, commands: StringCommand[], run: Run): string {
  const first = commands[run.start]!;
  const count = run.end - run.start;
  if (first.op === 'del') {
    encoder.command(1 + count).argument('DEL');
    for (let i = run.start; i < run.end; i++) encoder.argument(commands[i]!.key);
    return 'del';
  }
  if (count === 1) {
    encoder
      .command(first.expireMs === null ? 3 : 5)
      .argument('SET')
      .argument(first.key)
      .argument(first.value);
    if (first.expireMs !== null) encoder.argument('PX').argument(String(first.expireMs));
    return 'set';
  }
  encoder.command(1 + 2 * count).argument('MSET');
  for (let i = run.start; i < run.end; i++) {
    const command = commands[i] as Extract<StringCommand, { op: 'set' }>;
    encoder.argument(command.key).argument(command.value);
  }
  return 'mset';
}
