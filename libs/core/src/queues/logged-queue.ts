import { Logger } from '@nestjs/common';
import { Queue, type QueueOptions } from 'bullmq';
import { throttledWarning } from '../redis/throttled-warning.js';

/**
 * The queue class every registered queue is made of (`BullModule.queueClass`): its connection errors
 * go to the log, throttled, from the moment it exists. A BullMQ queue without an 'error' listener
 * prints each one with its stack to stderr (console.error), outside the JSON log: dozens of stack
 * traces for a few seconds of the internal Redis being down. A listener added once the module was
 * initialised came after the first of them when the internal Redis was down at start.
 */
export class LoggedQueue extends Queue {
  constructor(name: string, options?: QueueOptions) {
    super(name, options);
    this.on('error', throttledWarning(new Logger('Queues'), `${this.name} queue`));
  }
}
