import type { Vault } from '#core/crypto/vault.js';
import type { SinkDestination, StoredRedisConnection } from '#core/entities/sink-destination.js';
import { connectSinkRedis, type RedisDestinationConnection } from './redis/redis-connection.js';
import { RedisStreamDelivery } from './redis/redis-stream-delivery.js';
import { RedisStringDelivery } from './redis/redis-string-delivery.js';
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

/** The push delivery of a sink, or null for kinds that are not pushed (sequin_stream is pulled). */
export function createSinkDelivery(
  sinkName: string,
  destination: SinkDestination,
  vault: Vault,
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
      return null;
  }
}
