import type { Redis } from 'ioredis';
import type { StoredRedisStringDestination } from '#core/entities/sink-destination.js';
import type { Message } from '#replication/messages/message.js';
import { redisStringOperation } from '#replication/messages/redis-string.js';
import type { SinkDelivery } from '../sink-delivery.js';
import { type DeliveryOutcome, ensureConnected } from './redis-connection.js';
import { RedisStringWriter, type StringCommand } from './redis-string-writer.js';

/** Commands one delivery call may carry (batches of batch_size in one pipeline: one write, one read). */
export const STRING_MESSAGES_PER_CALL = 1000;

export class RedisStringDelivery implements SinkDelivery<StringCommand> {
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

  toPayload(message: Message): StringCommand | null {
    const operation = redisStringOperation(message, {
      keyFormat: this.destination.key_format,
      value: this.destination.value,
    });
    switch (operation.command) {
      case 'none':
        return null;
      case 'del':
        return { op: 'del', key: operation.key };
      case 'set':
        return { op: 'set', key: operation.key, value: operation.value, expireMs: this.destination.expire_ms };
    }
  }

  deliver(commands: StringCommand[]): Promise<DeliveryOutcome[]> {
    return this.writer.apply(commands);
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
