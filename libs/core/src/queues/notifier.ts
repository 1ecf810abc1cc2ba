import { Inject, Injectable, Logger } from '@nestjs/common';
import { SLUICE_CONFIG } from '../config/config.tokens.js';
import type { SluiceConfig } from '../config/config.js';
import { InternalRedis } from '../redis/internal-redis.js';
import {
  type ChangeNotification,
  changesChannel,
  type SinkCommand,
  sinkCommandsChannel,
  STREAM_SINK_CHANGED,
  streamWakeChannel,
} from './notifications.js';

/** Publishes notifications for the workers; never fails the caller's request. */
@Injectable()
export class Notifier {
  private readonly logger = new Logger(Notifier.name);
  private readonly localSinkChangeListeners: Array<(sinkId: string) => void> = [];

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

  /**
   * A Sequin Stream sink was changed or deleted: besides waking its long polls, every API process
   * drops its cached copy of the sink (STREAM_SINK_CHANGED on the same channel). This process's
   * listeners hear it at once, before the request that changed the sink is answered.
   */
  streamSinkChanged(sinkId: string): Promise<void> {
    for (const listener of this.localSinkChangeListeners) listener(sinkId);
    return this.publish(streamWakeChannel(this.config.redisPrefix, sinkId), STREAM_SINK_CHANGED);
  }

  /** Listens to streamSinkChanged calls of this process (other processes' come through Redis). */
  onLocalStreamSinkChange(listener: (sinkId: string) => void): void {
    this.localSinkChangeListeners.push(listener);
  }

  private async publish(channel: string, payload: unknown): Promise<void> {
    try {
      await this.redis.client.publish(channel, JSON.stringify(payload));
    } catch (error) {
      this.logger.warn(`Could not publish on ${channel}: ${(error as Error).message}`);
    }
  }
}
