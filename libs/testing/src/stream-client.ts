import type { Redis } from 'ioredis';
import { streamWaitingKey } from '#core/queues/notifications.js';
import { waitFor } from './databases.js';

/** One message of a /receive answer. */
export interface StreamMessage {
  ack_id: string;
  data: {
    record: Record<string, unknown>;
    changes: Record<string, unknown> | null;
    action: string;
    metadata: { idempotency_key: string; commit_lsn: number; commit_idx: number; record_pks: string[] };
  };
}

export interface StreamAnswer {
  status: number;
  body: { data: StreamMessage[]; summary?: string; success?: boolean };
}

/** The Sequin Stream API of one sink, over real HTTP, as a worker would call it. */
export class StreamClient {
  constructor(
    /** Settable: a client follows its API process to its new address after a restart. */
    public baseUrl: string,
    readonly token: string,
    readonly sink: string,
    readonly prefix = '/api/sequin_streams',
  ) {}

  /** Another API process, or another path prefix, for the same sink. */
  via(baseUrl: string, prefix = this.prefix): StreamClient {
    return new StreamClient(baseUrl, this.token, this.sink, prefix);
  }

  async call(route: string, body?: unknown, init: { method?: string; signal?: AbortSignal } = {}) {
    const response = await fetch(`${this.baseUrl}${this.prefix}/${this.sink}/${route}`, {
      method: init.method ?? 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: init.signal,
    });
    return { status: response.status, body: (await response.json()) as StreamAnswer['body'] };
  }

  receive(params: Record<string, unknown> = {}, signal?: AbortSignal): Promise<StreamAnswer> {
    return this.call('receive', params, { signal });
  }

  /** The messages of a 200 answer; throws on any other status. */
  async messages(params: Record<string, unknown> = {}): Promise<StreamMessage[]> {
    const answer = await this.receive(params);
    if (answer.status !== 200) throw new Error(`receive → ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body.data;
  }

  ack(ackIds: string[]): Promise<StreamAnswer> {
    return this.call('ack', { ack_ids: ackIds });
  }

  nack(ackIds: string[]): Promise<StreamAnswer> {
    return this.call('nack', { ack_ids: ackIds });
  }

  /** Receives (batches of up to 100, no waiting) until `count` messages came, or fails after `timeoutMs`. */
  async receiveCount(count: number, timeoutMs = 15_000): Promise<StreamMessage[]> {
    const got: StreamMessage[] = [];
    await waitFor(
      async () => {
        got.push(...(await this.messages({ batch_size: Math.min(100, count - got.length) })));
        return got.length >= count;
      },
      { timeoutMs, message: `${count} messages from ${this.sink} (got ${got.length})` },
    );
    return got;
  }
}

/** Receive calls waiting on a sink right now, across API processes (live places of the max_waiting set). */
export async function waitingReceivers(redis: Redis, redisPrefix: string, sinkId: string): Promise<number> {
  const key = streamWaitingKey(redisPrefix, sinkId);
  const [seconds, micros] = await redis.time();
  return redis.zcount(key, `(${Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)}`, '+inf');
}

/** Polls until exactly `count` receive calls wait on the sink. */
export async function waitForWaitingReceivers(
  redis: Redis,
  redisPrefix: string,
  sinkId: string,
  count: number,
  timeoutMs = 5_000,
): Promise<void> {
  await waitFor(async () => (await waitingReceivers(redis, redisPrefix, sinkId)) === count, {
    timeoutMs,
    intervalMs: 10,
    message: `${count} receivers waiting on sink ${sinkId}`,
  });
}

/** The sink's max_ack_pending count as the store keeps it (`$1` sink id; one row, `outstanding`). */
export const OUTSTANDING_COUNT_SQL = `SELECT COALESCE(sum(n), 0)::int AS outstanding FROM stream_outstanding WHERE sink_id = $1`;
