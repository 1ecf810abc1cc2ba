import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { type Job, Worker } from 'bullmq';
import { SLUICE_CONFIG } from '#core/config/config.tokens.js';
import type { SluiceConfig } from '#core/config/config.js';
import { settlesWithin } from '#core/embedded/managed-process.js';
import { QueueNames, type ReplicationJobData } from '#core/queues/queue-names.js';
import { STOP_DRAIN_MS } from '#replication/reader/slot-reader.js';
import { throttledWarning } from '#core/redis/throttled-warning.js';
import { SlotReadersService } from './slot-readers.service.js';

/** Readers per worker process: each is mostly waiting on sockets, so many fit one process. */
const MAX_READERS_PER_PROCESS = 64;
/** How long shutdown waits for BullMQ to close the worker's connections. */
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * The replication queue's worker, created directly rather than through @Processor: a reader job runs
 * until its slot is no longer wanted, so it needs BullMQ's abort signal (on shutdown and when the
 * lease — the job lock — is lost to another worker), which Nest's WorkerHost does not pass on.
 */
@Injectable()
export class ReplicationWorker implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ReplicationWorker.name);
  private worker?: Worker<ReplicationJobData>;

  constructor(
    @Inject(SLUICE_CONFIG) private readonly config: SluiceConfig,
    private readonly readers: SlotReadersService,
  ) {}

  onModuleInit(): void {
    this.worker = new Worker<ReplicationJobData>(
      QueueNames.replication,
      (job: Job<ReplicationJobData>, _token?: string, signal?: AbortSignal) =>
        this.readers.run(job.data, signal ?? new AbortController().signal),
      {
        connection: { url: this.config.redisUrl },
        prefix: this.config.redisPrefix,
        concurrency: MAX_READERS_PER_PROCESS,
        lockDuration: this.config.leaseMs,
        // A dead worker's lock expires within the lease; the job is handed over at the first stalled
        // check after that. Checking every lease would make a takeover take up to twice the lease.
        stalledInterval: Math.max(500, Math.round(this.config.leaseMs / 4)),
        // A stalled reader job is a dead worker's lease: hand it over as often as that happens.
        maxStalledCount: Number.MAX_SAFE_INTEGER,
      },
    );
    this.worker.on('lockRenewalFailed', (jobIds: string[]) => {
      for (const id of jobIds) this.worker?.cancelJob(id, 'lease lost');
    });
    this.worker.on('error', throttledWarning(this.logger, 'Replication worker'));
    this.worker.on('failed', (job, error) => this.logger.warn(`Reader ${job?.id} failed: ${error.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.worker) return;
    this.worker.cancelAllJobs('shutting down');
    // The readers deliver what they hold and report their last flush LSN (up to STOP_DRAIN_MS each).
    await this.readers.stopped(STOP_DRAIN_MS + CLOSE_TIMEOUT_MS);
    // BullMQ's close waits for its blocking connection to end, which never happens while that
    // connection is between reconnect attempts (internal Redis down or just back; bullmq#4656).
    const closed = await settlesWithin(this.worker.close(), CLOSE_TIMEOUT_MS);
    if (!closed) {
      this.logger.warn(`Replication worker: not closed after ${CLOSE_TIMEOUT_MS} ms (internal Redis unreachable?)`);
      // What close() would have done after that wait, so nothing keeps the process alive: its other
      // connection and its lock renewal timer (a job lock left behind expires within the lease).
      void this.worker.disconnect().catch(() => undefined);
      void (this.worker as unknown as { lockManager?: { close(): Promise<void> } }).lockManager?.close();
    }
  }
}
