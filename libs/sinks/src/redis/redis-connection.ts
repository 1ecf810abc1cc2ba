import { Redis, ReplyError } from 'ioredis';

/** Connection fields shared by the redis_stream and redis_string destinations (plain password). */
export interface RedisDestinationConnection {
  host: string;
  port: number;
  database: number;
  username?: string | null;
  password?: string | null;
  tls: boolean;
}

const COMMAND_TIMEOUT_MS = 10_000;

/** Why each sink client's last connection attempt failed (WRONGPASS, a certificate error, ECONNREFUSED…). */
const connectionErrors = new WeakMap<Redis, Error>();

/**
 * A client for the user's Redis that fails fast instead of queueing: while it is down, commands
 * reject at once and the sink's retry/backoff decides what happens, not ioredis' offline queue.
 */
export function connectSinkRedis(connection: RedisDestinationConnection, name: string): Redis {
  const client = new Redis({
    host: connection.host,
    port: connection.port,
    db: connection.database,
    username: connection.username ?? undefined,
    password: connection.password ?? undefined,
    tls: connection.tls ? {} : undefined,
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: 5000,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2000),
    lazyConnect: true,
    // Closing happens after every reply is in; otherwise a failed connection's socket keeps a 2 s timer alive.
    disconnectTimeout: 0,
  });
  // Failures surface through the commands that hit them; the reason is kept for ensureConnected.
  client.on('error', (error) => connectionErrors.set(client, error));
  client.on('ready', () => connectionErrors.delete(client));
  return client;
}

/** Resolves once connected or rejects with the connection error; idempotent. */
export async function ensureConnected(client: Redis): Promise<void> {
  if (client.status === 'ready') return;
  if (client.status === 'wait' || client.status === 'end') {
    try {
      await client.connect();
    } catch (error) {
      // connect() only says "Connection is closed."; the error event before it says why.
      throw connectionErrors.get(client) ?? error;
    }
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const onReady = (): void => (cleanup(), resolve());
    const onError = (error: Error): void => (cleanup(), reject(error));
    const cleanup = (): void => {
      client.off('ready', onReady);
      client.off('error', onError);
    };
    client.once('ready', onReady);
    client.once('error', onError);
  });
}

/**
 * `refused`: the destination answered this command with an error (WRONGTYPE, NOPERM…), so it is up and
 * the message itself is the problem; absent for connection failures and timeouts.
 */
export type DeliveryOutcome = { ok: true } | { ok: false; error: string; refused?: boolean };

export const DELIVERED: DeliveryOutcome = Object.freeze({ ok: true });

/** A command that failed: `refused` when Redis answered it with an error. */
export function failedOutcome(error: Error): DeliveryOutcome {
  return { ok: false, error: error.message, refused: error instanceof ReplyError };
}

/** ioredis pipeline replies → one outcome per command; a missing reply is a failure, never a success. */
export function outcomesOf(replies: Array<[Error | null, unknown]> | null, count: number): DeliveryOutcome[] {
  const outcomes: DeliveryOutcome[] = [];
  for (let i = 0; i < count; i++) {
    const reply = replies?.[i];
    if (!reply) outcomes.push({ ok: false, error: 'no reply from Redis' });
    else outcomes.push(reply[0] ? failedOutcome(reply[0]) : DELIVERED);
  }
  return outcomes;
}

/** Settled replies (see EncodedSender) → one outcome per command. */
export function settledOutcomes(replies: PromiseSettledResult<unknown>[]): DeliveryOutcome[] {
  return replies.map((reply) => (reply.status === 'fulfilled' ? DELIVERED : failedOutcome(reply.reason as Error)));
}
