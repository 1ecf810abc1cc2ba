import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { SLUICE_CONFIG } from '../config/config.tokens.js';
import type { SluiceConfig } from '../config/config.js';
import { redisOptionsFromUrl } from './redis-options.js';
import { throttledWarning } from './throttled-warning.js';

/** A plain client on the internal Redis (health checks, counters, notifications). */
@Injectable()
export class InternalRedis implements OnApplicationShutdown {
  readonly client: Redis;

  constructor(@Inject(SLUICE_CONFIG) config: SluiceConfig) {
    this.client = new Redis({ ...redisOptionsFromUrl(config.redisUrl), lazyConnect: true, maxRetriesPerRequest: 1 });
    // Without a listener ioredis prints every connection error to stderr; the commands fail on their own.
    this.client.on('error', throttledWarning(new Logger(InternalRedis.name), 'Internal Redis'));
  }

  async onApplicationShutdown(): Promise<void> {
    this.client.disconnect();
  }
}
