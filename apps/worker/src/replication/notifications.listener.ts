import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { SLUICE_CONFIG } from '#core/config/config.tokens.js';
import type { SluiceConfig } from '#core/config/config.js';
import {
  type ChangeNotification,
  changesChannel,
  type SinkCommand,
  sinkCommandsChannel,
} from '#core/queues/notifications.js';
import { redisOptionsFromUrl } from '#core/redis/redis-options.js';
import { ReconcileTrigger } from '../maintenance/reconcile.trigger.js';
import { SlotReadersService } from './slot-readers.service.js';
import { throttledWarning } from '#core/redis/throttled-warning.js';

/** Applies API changes to the readers this process runs, without a restart. */
@Injectable()
export class NotificationsListener implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(NotificationsListener.name);
  private subscriber?: Redis;

  constructor(
    @Inject(SLUICE_CONFIG) private readonly config: SluiceConfig,
    private readonly readers: SlotReadersService,
    private readonly reconcile: ReconcileTrigger,
  ) {}

  async onModuleInit(): Promise<void> {
    const changes = changesChannel(this.config.redisPrefix);
    const commands = sinkCommandsChannel(this.config.redisPrefix);
    this.subscriber = new Redis({ ...redisOptionsFromUrl(this.config.redisUrl), lazyConnect: true });
    this.subscriber.on('error', throttledWarning(this.logger, 'Notifications'));
    this.subscriber.on('message', (channel: string, text: string) => {
      try {
        if (channel === changes) this.onChange(JSON.parse(text) as ChangeNotification);
        else if (channel === commands) this.onCommand(JSON.parse(text) as SinkCommand);
      } catch (error) {
        this.logger.warn(`Ignored a malformed notification on ${channel}: ${(error as Error).message}`);
      }
    });
    await this.subscriber.connect();
    await this.subscriber.subscribe(changes, commands);
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscriber?.disconnect();
  }

  private onChange({ databaseId }: ChangeNotification): void {
    const reader = this.readers.readerFor(databaseId);
    if (reader) reader.refresh();
    else void this.reconcile.now();
  }

  private onCommand({ databaseId, sinkId, op, keys }: SinkCommand): void {
    const session = this.readers.readerFor(databaseId)?.current;
    if (!session) return;
    if (op === 'redeliver') session.retryNow(sinkId, keys ? new Set(keys) : undefined);
    else if (keys) session.discard(sinkId, new Set(keys));
  }
}
