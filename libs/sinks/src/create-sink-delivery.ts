import type { Vault } from '#core/crypto/vault.js';
import type { SinkDestination, StoredRedisConnection } from '#core/entities/sink-destination.js';
import { connectSinkRedis, type RedisDestinationConnection } from './redis/redis-connection.js';
import { RedisStreamDelivery } from './redis/redis-stream-delivery.js';
import { RedisStringDelivery } from './redis/redis-string-delivery.js';
import type { StreamStore } from '#stream/stream-store.js';
import { SequinStreamDelivery } from './sequin-stream/sequin-stream-delivery.js';
import type { SinkDelivery } from './sink-delivery.js';

function connectionOf(stored: StoredRedisConnection, vault: Vault): RedisDestinationConnection {
  return {
    host: stored.host,
    port: stored.port,
    database: stored.database,
    username: stored.username,
    password: stored.password_encrypted === null ? null : vault.decrypt(stored.password_encrypted),
    tls: stored.tls,
  };
}

/** Where a sequin_stream sink's messages are stored, and how waiting receivers are woken. */
export interface SequinStreamTarget {
  accountId: string;
  sinkId: string;
  store: StreamStore;
  wake(): Promise<void>;
}

/** The delivery of a sink: a push to the user's Redis, or storage for pulling (sequin_stream; null without a target). */
export function createSinkDelivery(
  sinkName: string,
  destination: SinkDestination,
  vault: Vault,
  sequinStream?: SequinStreamTarget,
): SinkDelivery<unknown> | null {
  switch (destination.type) {
    case 'redis_stream':
      return new RedisStreamDelivery(
        destination,
        connectSinkRedis(connectionOf(destination, vault), `sluice:${sinkName}`),
      );
    case 'redis_string':
      return new RedisStringDelivery(
        destination,
        connectSinkRedis(connectionOf(destination, vault), `sluice:${sinkName}`),
      );
    case 'sequin_stream':
      if (!sequinStream) return null;
      return new SequinStreamDelivery(
        sequinStream.accountId,
        sequinStream.sinkId,
        sequinStream.store,
        sequinStream.wake,
      );
  }
}
