import { InjectQueue, OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, type OnModuleInit } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import {
  QueueNames,
  REDELIVER_PARKED_JOB,
  type RedeliverParkedJobData,
  type ReplicationJobData,
  replicationJobId,
} from '#core/queues/queue-names.js';
import { throttledWarning } from '#core/redis/throttled-warning.js';
import { ReplicationSlotsRepository } from '#core/repositories/replication-slots.repository.js';
import { RECONCILE_JOB, ReconcileTrigger } from './reconcile.trigger.js';
import { RedeliverParkedProcessor } from './redeliver-parked.processor.js';

const RECONCILE_EVERY_MS = 5_000;

/**
 * Makes sure every active slot has its reader job. Adding a job whose id exists is a no-op, so this is
 * safe to run from every worker; readers of disabled or deleted slots end by themselves.
 */
@Processor(QueueNames.maintenance)
export class ReconcileProcessor extends WorkerHost implements OnModuleInit {
  private readonly logger = new Logger(ReconcileProcessor.name);
  private readonly workerErrors = throttledWarning(this.logger, 'Maintenance worker');

  constructor(
    private readonly slots: ReplicationSlotsRepository,
    @InjectQueue(QueueNames.maintenance) private readonly maintenance: Queue,
    @InjectQueue(QueueNames.replication) private readonly replication: Queue<ReplicationJobData>,
    private readonly trigger: ReconcileTrigger,
    private readonly redeliverParked: RedeliverParkedProcessor,
  ) {
    super();
  }

  async onModuleInit(): Promise<void> {
    await this.maintenance.upsertJobScheduler(
      RECONCILE_JOB,
      { every: RECONCILE_EVERY_MS },
      { name: RECONCILE_JOB, opts: { removeOnComplete: true, removeOnFail: true } },
    );
    await this.trigger.now();
  }

  /** Without a listener, BullMQ prints each connection error's stack to stderr. */
  @OnWorkerEvent('error')
  onWorkerError(error: Error): void {
    this.workerErrors(error);
  }

  /** The maintenance queue has this one processor (a second one would take the other's jobs): dispatch by name. */
  async process(job: Job): Promise<unknown> {
    if (job.name === REDELIVER_PARKED_JOB) return this.redeliverParked.process(job.data as RedeliverParkedJobData);
    if (job.name !== RECONCILE_JOB) return;
    const slots = await this.slots.listActiveForScheduling();
    for (const slot of slots) {
      await this.replication.add(
        'read',
        { slotId: slot.id, accountId: slot.accountId, databaseId: slot.postgresDatabaseId },
        { jobId: replicationJobId(slot.id), removeOnComplete: true, removeOnFail: true },
      );
    }
    this.logger.debug(`Reconciled ${slots.length} active slots`);
  }
}
