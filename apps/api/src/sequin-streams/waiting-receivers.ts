import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SLUICE_CONFIG } from '#core/config/config.tokens.js';
import type { SluiceConfig } from '#core/config/config.js';
import { streamWaitingKey } from '#core/queues/notifications.js';
import { InternalRedis } from '#core/redis/internal-redis.js';

/**
 * Takes a waiting place if fewer than max are taken. Places expire on their own (a crashed API
 * process cannot leak them), so the check drops expired ones first; all of it atomic in Redis.
 */
const TAKE_PLACE = `
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1`;

const SAFETY_MS = 30_000;

/** max_waiting, counted across every API process through the internal Redis. */
@Injectable()
export class WaitingReceivers {
  constructor(
    @Inject(SLUICE_CONFIG) private readonly config: SluiceConfig,
    private readonly redis: InternalRedis,
  ) {}

  /** A release function, or null when max_waiting receivers already wait on this sink. */
  async take(sinkId: string, maxWaiting: number, waitForMs: number): Promise<(() => Promise<void>) | null> {
    const key = streamWaitingKey(this.config.redisPrefix, sinkId);
    const id = randomUUID();
    const now = Date.now();
    const ttl = waitForMs + SAFETY_MS;
    const taken = await this.redis.client.eval(TAKE_PLACE, 1, key, now, now + ttl, id, maxWaiting, ttl);
    if (taken !== 1) return null;
    return async () => {
      await this.redis.client.zrem(key, id).catch(() => undefined);
    };
  }
}
