import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { QueueNames } from '#core/queues/queue-names.js';

export const RECONCILE_JOB = 'reconcile';
/** One pending "reconcile now" at a time: more requests while it waits add nothing. */
const RECONCILE_NOW_JOB_ID = 'reconcile-now';

@Injectable()
export class ReconcileTrigger {
  private readonly logger = new Logger(ReconcileTrigger.name);

  constructor(@InjectQueue(QueueNames.maintenance) private readonly maintenance: Queue) {}

  async now(): Promise<void> {
    try {
      await this.maintenance.add(
        RECONCILE_JOB,
        {},
        { jobId: RECONCILE_NOW_JOB_ID, removeOnComplete: true, removeOnFail: true },
      );
    } catch (error) {
      this.logger.warn(`Could not request a reconcile: ${(error as Error).message}`);
    }
  }
}
