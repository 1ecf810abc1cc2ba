import { Inject, Injectable, Logger } from '@nestjs/common';
import { SLUICE_CONFIG } from '../config/config.tokens.js';
import type { SluiceConfig } from '../config/config.js';
import { InternalRedis } from '../redis/internal-redis.js';
import {
  type ChangeNotification,
  changesChannel,
  type SinkCommand,
  sinkCommandsChannel,
  streamWakeChannel,
} from './notifications.js';

/** Publishes notifications for the workers; never fails the caller's request. */
@Injectable()
export class Notifier {
  private readonly logger = new Logger(Notifier.name);

  constructor(
    @Inject(SLUICE_CONFIG) private readonly config: SluiceConfig,
    private readonly redis: InternalRedis,
  ) {}

  changed(notification: ChangeNotification): Promise<void> {
    return this.publish(changesChannel(this.config.redisPrefix), notification);
  }

  sinkCommand(command: SinkCommand): Promise<void> {
    return this.publish(sinkCommandsChannel(this.config.redisPrefix), command);
  }

  /** A Sequin Stream sink may have deliverable messages: its long polls, in every API process, look again. */
  streamReady(sinkId: string): Promise<void> {
    return this.publish(streamWakeChannel(this.config.redisPrefix, sinkId), 1);
  }

  private async publish(channel: string, payload: unknown): Promise<void> {
    try {
      await this.redis.client.publish(channel, JSON.stringify(payload));
    } catch (error) {
      this.logger.warn(`Could not publish on ${channel}: ${(error as Error).message}`);
    }
  }
}
