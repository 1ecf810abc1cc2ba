import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SLUICE_CONFIG } from '#core/config/config.tokens.js';
import type { SluiceConfig } from '#core/config/config.js';
import { streamWaitingKey } from '#core/queues/notifications.js';
import { InternalRedis } from '#core/redis/internal-redis.js';

/**
 * A sorted set per sink: member = one waiting receive call, score = when its lease ends (Redis
 * clock, ms). A waiting call renews its lease while it waits, so the places of a crashed API process
 * are freed when their short leases end. The key itself expires with its longest lease, whoever
 * renewed last.
 */
const NOW_MS = `local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)`;
const EXPIRE_WITH_LONGEST_LEASE = `
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIREAT', KEYS[1], math.floor(tonumber(last[2])) + 1000) end`;

/** Takes a place if fewer than ARGV[2] live leases exist. ARGV: member, max, lease ms. */
const TAKE_PLACE = `
  ${NOW_MS}
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  ${EXPIRE_WITH_LONGEST_LEASE}
  return 1`;

/** Extends a place's lease if it still holds one. ARGV: member, lease ms. */
const RENEW_PLACE = `
  ${NOW_MS}
  if redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1]) == 0 then return 0 end
  ${EXPIRE_WITH_LONGEST_LEASE}
  return 1`;

/** How long a place outlives the last sign of life of its API process. */
export const WAITING_LEASE_MS = 5_000;

export interface WaitingPlace {
  /** Gives the place back (idempotent). */
  release(): Promise<void>;
}

/** max_waiting, counted across every API process through the internal Redis. */
@Injectable()
export class WaitingReceivers {
  /** Settable for tests (a short lease shows expiry quickly). */
  leaseMs = WAITING_LEASE_MS;

  constructor(
    @Inject(SLUICE_CONFIG) private readonly config: SluiceConfig,
    private readonly redis: InternalRedis,
  ) {}

  key(sinkId: string): string {
    return streamWaitingKey(this.config.redisPrefix, sinkId);
  }

  /** A place, renewed until released; null when max_waiting receivers already wait on this sink. */
  async take(sinkId: string, maxWaiting: number): Promise<WaitingPlace | null> {
    const key = this.key(sinkId);
    const id = randomUUID();
    const leaseMs = this.leaseMs;
    const taken = await this.redis.client.eval(TAKE_PLACE, 1, key, id, maxWaiting, leaseMs);
    if (taken !== 1) return null;
    const renew = (): void => {
      // A lost renewal (Redis unavailable) only risks the place being counted as free too early.
      this.redis.client.eval(RENEW_PLACE, 1, key, id, leaseMs).catch(() => undefined);
    };
    const timer = setInterval(renew, Math.max(100, Math.floor(leaseMs / 3)));
    timer.unref();
    let released: Promise<void> | undefined;
    return {
      release: () =>
        (released ??= (async () => {
          clearInterval(timer);
          await this.redis.client.zrem(key, id).catch(() => undefined);
        })()),
    };
  }
}
