import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export interface AppliedCommands {
  /** The monitoring connections; disconnect them when done. */
  clients: Redis[];
  /** Per key, its commands (`SET <value>` or `DEL`) in execution order. */
  byKey(): Map<string, string[]>;
}

/**
 * Every SET and DEL the server executes on keys starting with `prefix`, in execution order, an MSET or
 * a DEL of several keys as one command per key (MONITOR lists executed commands only: one an ACL
 * refuses is not among them).
 */
export async function monitorCommands(url: string, prefix: string): Promise<AppliedCommands> {
  const client = new Redis(url);
  const commands: Array<[string, string]> = [];
  const monitor = await client.monitor();
  monitor.on('monitor', (_time: string, args: string[]) => {
    const [name, ...rest] = args;
    const command = name?.toUpperCase();
    const mine = (key: string | undefined): key is string => key?.startsWith(prefix) === true;
    if (command === 'SET' && mine(rest[0])) commands.push([rest[0], `SET ${rest[1]}`]);
    else if (command === 'MSET') {
      for (let i = 0; i + 1 < rest.length; i += 2) if (mine(rest[i])) commands.push([rest[i]!, `SET ${rest[i + 1]}`]);
    } else if (command === 'DEL') for (const key of rest) if (mine(key)) commands.push([key, 'DEL']);
  });
  return {
    clients: [client, monitor],
    byKey(): Map<string, string[]> {
      const byKey = new Map<string, string[]>();
      for (const [key, command] of commands) byKey.set(key, [...(byKey.get(key) ?? []), command]);
      return byKey;
    },
  };
}

/**
 * Keys whose applied commands are not their expected ones in order, allowing one replay after a
 * crash: what was applied may go back once to an earlier command and repeat from there (the slot is
 * read again from its confirmed position), but never skips or reorders one. Empty when all is well.
 */
export function keysNotAppliedInOrder(
  applied: Map<string, string[]>,
  expected: Map<string, string[]>,
): Array<{ key: string; applied: string[]; expected: string[] }> {
  const wrong: Array<{ key: string; applied: string[]; expected: string[] }> = [];
  for (const key of new Set([...applied.keys(), ...expected.keys()])) {
    const got = applied.get(key) ?? [];
    const wanted = expected.get(key) ?? [];
    if (!inOrderWithOneReplay(got, wanted)) wrong.push({ key, applied: got, expected: wanted });
  }
  return wrong;
}

function inOrderWithOneReplay(got: string[], wanted: string[]): boolean {
  const differsAt = got.findIndex((command, i) => command !== wanted[i]);
  if (differsAt === -1) return got.length === wanted.length;
  const rest = got.slice(differsAt);
  for (let from = 0; from < differsAt; from++) {
    if (rest.length === wanted.length - from && rest.every((command, i) => command === wanted[from + i])) return true;
  }
  return false;
}

/** A primary key outside the one- and two-character keys a shortKeysUser may write: its row is refused. */
export const REFUSED_ID = 500;

export interface ShortKeysUser {
  user: string;
  password: string;
  /** A Redis String sink's destination writing as this user (records as values) to the server on `port`. */
  stringDestination(port: number): {
    type: 'redis_string';
    host: string;
    port: number;
    username: string;
    password: string;
    value: 'record';
  };
  /** Lets the user write every key: the poisoned group can go through. */
  allowAll(): Promise<void>;
}

/**
 * A Redis user that may write only `prefix` followed by one or two characters (a table's one- and
 * two-digit primary keys): a row with a longer key is refused (NOPERM), a poisoned group.
 */
export async function shortKeysUser(redis: Redis, prefix: string, name: string): Promise<ShortKeysUser> {
  const user = `sluice_${name}_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  await redis.call('ACL', 'SETUSER', user, 'on', `>${password}`, 'resetkeys', `~${prefix}?`, `~${prefix}??`, '+@all');
  return {
    user,
    password,
    stringDestination: (port) => ({
      type: 'redis_string',
      host: '127.0.0.1',
      port,
      username: user,
      password,
      value: 'record',
    }),
    allowAll: async () => void (await redis.call('ACL', 'SETUSER', user, 'allkeys')),
  };
}
