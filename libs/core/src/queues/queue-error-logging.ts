import { getQueueToken } from '@nestjs/bullmq';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { throttledWarning } from '../redis/throttled-warning.js';
import { QueueNames } from './queue-names.js';

/**
 * Every registered queue's connection errors go to the log, throttled. A BullMQ queue without an
 * 'error' listener prints each one with its stack to stderr (console.error), outside the JSON log:
 * dozens of stack traces for a few seconds of the internal Redis being down.
 */
@Injectable()
export class QueueErrorLogging implements OnModuleInit {
  private readonly logger = new Logger('Queues');

  constructor(private readonly modules: ModuleRef) {}

  onModuleInit(): void {
    for (const name of Object.values(QueueNames)) {
      const queue = this.modules.get<Queue>(getQueueToken(name), { strict: false });
      queue.on('error', throttledWarning(this.logger, `${name} queue`));
    }
  }
}
