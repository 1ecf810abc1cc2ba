import type { Redis } from 'ioredis';
import type { StoredRedisStringDestination } from '#core/entities/sink-destination.js';
import type { Message } from '#replication/messages/message.js';
import { redisStringOperation } from '#replication/messages/redis-string.js';
import type { SinkDelivery } from '../sink-delivery.js';
import { type DeliveryOutcome, ensureConnected } from './redis-connection.js';
import { RedisStringWriter, type StringCommand } from './redis-string-writer.js';

/** Commands one delivery call may carry (batches of batch_size in one pipeline: one write, one read). */
export const STRING_MESSAGES_PER_CALL = 1000;

/** A message that cannot be written (see redisStringOperation's `refuse`): it fails with `error`, nothing is sent. */
export interface RefusedCommand {
  op: 'refuse';
  error: string;
}

export type StringPayload = StringCommand | RefusedCommand;

export class RedisStringDelivery implements SinkDelivery<StringPayload> {
  readonly ordering = 'per-group' as const;
  readonly maxMessagesPerCall = STRING_MESSAGES_PER_CALL;
  readonly parksPoisonedGroups = true;
  private readonly writer: RedisStringWriter;

  constructor(
    private readonly destination: StoredRedisStringDestination,
    private readonly client: Redis,
  ) {
    this.writer = new RedisStringWriter(client);
  }

  prepare(): void {
    ensureConnected(this.client).catch(() => undefined);
  }

  toPayload(message: Message): StringPayload | null {
    const operation = redisStringOperation(message, {
      keyFormat: this.destination.key_format,
      value: this.destination.value,
    });
    switch (operation.command) {
      case 'none':
        return null;
      case 'refuse':
        return { op: 'refuse', error: operation.error };
      case 'del':
        return { op: 'del', key: operation.key };
      case 'set':
        return { op: 'set', key: operation.key, value: operation.value, expireMs: this.destination.expire_ms };
    }
  }

  async deliver(payloads: StringPayload[]): Promise<DeliveryOutcome[]> {
    if (!payloads.some((p) => p.op === 'refuse')) return this.writer.apply(payloads as StringCommand[]);
    // The others go out as they would; a refused one fails alone, like a key the destination refuses.
    const commands = payloads.filter((p): p is StringCommand => p.op !== 'refuse');
    const written = await this.writer.apply(commands);
    let next = 0;
    return payloads.map((p) => (p.op === 'refuse' ? { ok: false, error: p.error, refused: true } : written[next++]!));
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
