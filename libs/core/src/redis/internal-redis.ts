import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { SLUICE_CONFIG } from '../config/config.tokens.js';
import type { SluiceConfig } from '../config/config.js';
import { redisOptionsFromUrl } from './redis-options.js';

/** A plain client on the internal Redis (health checks, counters, notifications). */
@Injectable()
export class InternalRedis implements OnApplicationShutdown {
  readonly client: Redis;

  constructor(@Inject(SLUICE_CONFIG) config: SluiceConfig) {
    this.client = new Redis({ ...redisOptionsFromUrl(config.redisUrl), lazyConnect: true, maxRetriesPerRequest: 1 });
  }

  async onApplicationShutdown(): Promise<void> {
    this.client.disconnect();
  }
}
