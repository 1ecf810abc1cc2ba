import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { SLUICE_CONFIG } from '#core/config/config.tokens.js';
import type { SluiceConfig } from '#core/config/config.js';
import { STREAM_SINK_CHANGED, streamWakePattern } from '#core/queues/notifications.js';
import { Notifier } from '#core/queues/notifier.js';
import { redisOptionsFromUrl } from '#core/redis/redis-options.js';
import { throttledWarning } from '#core/redis/throttled-warning.js';

export interface Waiter {
  /** Resolves on the next wake-up for the sink, or when `timeoutMs` passes. */
  next(timeoutMs: number): Promise<void>;
  close(): void;
}

/** STREAM_SINK_CHANGED as the Notifier publishes it (JSON). */
const SINK_CHANGED_MESSAGE = JSON.stringify(STREAM_SINK_CHANGED);

/**
 * Wakes long-polling receivers when their sink gets new or nacked messages, in any process: one
 * pattern subscription per API process fans out to the local waiters of each sink.
 */
@Injectable()
export class StreamWakeupsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(StreamWakeupsService.name);
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly sinkChangeListeners: Array<(sinkId: string) => void> = [];
  private subscriber?: Redis;

  constructor(
    @Inject(SLUICE_CONFIG) private readonly config: SluiceConfig,
    private readonly notifier: Notifier,
  ) {}

  async onModuleInit(): Promise<void> {
    const prefix = `${this.config.redisPrefix}:stream:`;
    this.subscriber = new Redis({ ...redisOptionsFromUrl(this.config.redisUrl), lazyConnect: true });
    this.subscriber.on('error', throttledWarning(this.logger, 'Stream wake-ups'));
    this.subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
      const sinkId = channel.slice(prefix.length);
      if (message === SINK_CHANGED_MESSAGE) for (const listener of this.sinkChangeListeners) listener(sinkId);
      for (const wake of this.waiters.get(sinkId) ?? []) wake();
    });
    // Connect in the background: a missing wake-up only delays a long poll to its periodic re-check.
    this.subscriber
      .connect()
      .then(() => this.subscriber?.psubscribe(streamWakePattern(this.config.redisPrefix)))
      .catch((error: Error) => this.logger.warn(`Stream wake-ups unavailable: ${error.message}`));
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
  }

  /**
   * Called when a sink was changed or deleted (Notifier.streamSinkChanged): at once for a change made
   * in this process, through Redis for one made in another (then before its waiters wake).
   */
  onSinkChanged(listener: (sinkId: string) => void): void {
    this.sinkChangeListeners.push(listener);
    this.notifier.onLocalStreamSinkChange(listener);
  }

  /** Registered before the caller looks for messages, so a wake-up in between is not lost. */
  waiter(sinkId: string): Waiter {
    let pending = false;
    let wake: (() => void) | null = null;
    const onWake = (): void => {
      pending = true;
      wake?.();
    };
    let set = this.waiters.get(sinkId);
    if (!set) this.waiters.set(sinkId, (set = new Set()));
    set.add(onWake);
    return {
      next: (timeoutMs) =>
        new Promise<void>((resolve) => {
          if (pending) {
            pending = false;
            return resolve();
          }
          const timer = setTimeout(done, timeoutMs);
          function done(): void {
            clearTimeout(timer);
            wake = null;
            pending = false;
            resolve();
          }
          wake = done;
        }),
      close: () => {
        set.delete(onWake);
        if (set.size === 0) this.waiters.delete(sinkId);
        wake?.();
      },
    };
  }

  wake(sinkId: string): Promise<void> {
    return this.notifier.streamReady(sinkId);
  }
}
