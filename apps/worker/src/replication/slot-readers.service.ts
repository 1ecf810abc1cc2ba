import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SLUICE_CONFIG } from '#core/config/config.tokens.js';
import type { SluiceConfig } from '#core/config/config.js';
import { Vault } from '#core/crypto/vault.js';
import { transactionStatus } from '#core/database/transaction-status.js';
import { settlesWithin } from '#core/embedded/managed-process.js';
import type { ReplicationJobData } from '#core/queues/queue-names.js';
import { BackfillsRepository } from '#core/repositories/backfills.repository.js';
import { ParkedMessagesRepository } from '#core/repositories/parked-messages.repository.js';
import { PostgresDatabasesRepository } from '#core/repositories/postgres-databases.repository.js';
import { ReplicationSlotsRepository } from '#core/repositories/replication-slots.repository.js';
import { SinksRepository } from '#core/repositories/sinks.repository.js';
import { sourceClientConfig, sourceConnectionParams } from '#core/source/source-connection.js';
import { SlotReader } from '#replication/reader/slot-reader.js';
import { StreamStore } from '#stream/stream-store.js';
import { Notifier } from '#core/queues/notifier.js';
import { InternalRedis } from '#core/redis/internal-redis.js';
import { createSinkDelivery } from '#sinks/create-sink-delivery.js';
import { workerMetrics } from '../metrics/worker-metrics.js';
import { backfillStore } from './backfill-store.js';
import { parkedMessageLedger } from './parked-message.ledger.js';
import { toLoadedSink } from './loaded-sinks.js';
import { SinkStatusPublisher } from './sink-status.publisher.js';

/** Runs the reader of a slot for as long as this process holds its lease; tracks running readers. */
@Injectable()
export class SlotReadersService {
  private readonly logger = new Logger(SlotReadersService.name);
  private readonly readers = new Map<string, SlotReader>();
  /** Every run in progress, settled or not: shutdown waits for them (their last flush report included). */
  private readonly runs = new Set<Promise<void>>();
  /** Publishes the running readers' sink status and recently delivered messages for the API. */
  private readonly status: SinkStatusPublisher;

  constructor(
    @Inject(SLUICE_CONFIG) private readonly config: SluiceConfig,
    private readonly vault: Vault,
    private readonly databases: PostgresDatabasesRepository,
    private readonly slots: ReplicationSlotsRepository,
    private readonly sinks: SinksRepository,
    private readonly parked: ParkedMessagesRepository,
    private readonly backfills: BackfillsRepository,
    private readonly streamStore: StreamStore,
    private readonly internalRedis: InternalRedis,
    private readonly notifier: Notifier,
    private readonly dataSource: DataSource,
  ) {
    this.status = new SinkStatusPublisher(internalRedis.client, config.redisPrefix, (e) =>
      this.logger.warn(`Sink status: ${(e as Error).message}`),
    );
  }

  /** The reader of this database's slot, when this process runs it. */
  readerFor(databaseId: string): SlotReader | undefined {
    return this.readers.get(databaseId);
  }

  run(job: ReplicationJobData, signal: AbortSignal): Promise<void> {
    const running = this.runReader(job, signal);
    const tracked = running.catch(() => undefined).finally(() => this.runs.delete(tracked));
    this.runs.add(tracked);
    return running;
  }

  /** Resolves once every reader run has ended, or after `timeoutMs`: false then. */
  stopped(timeoutMs: number): Promise<boolean> {
    return settlesWithin(Promise.all([...this.runs]), timeoutMs);
  }

  private async runReader({ accountId, databaseId, slotId }: ReplicationJobData, signal: AbortSignal): Promise<void> {
    const database = await this.databases.findById(accountId, databaseId);
    const slot = await this.slots.findById(accountId, slotId);
    if (!database || !slot || slot.status !== 'active') return;
    const log = this.logger;
    const metrics = workerMetrics();
    const status = this.status;
    const reader = new SlotReader({
      source: {
        slotName: slot.slotName,
        publicationName: slot.publicationName,
        database: {
          id: database.id,
          name: database.name,
          annotations: database.annotations,
          database: database.database,
          hostname: database.hostname,
        },
      },
      connection: sourceClientConfig(sourceConnectionParams(database, this.vault), { query_timeout: undefined }),
      loadSinks: async () => (await this.sinks.find(accountId, { postgresDatabaseId: databaseId })).map(toLoadedSink),
      transactionStatus: (id) => transactionStatus(this.dataSource, id),
      createDelivery: (sink) =>
        createSinkDelivery(sink.name, sink.destination, this.vault, {
          accountId,
          sinkId: sink.id,
          store: this.streamStore,
          wake: () => this.notifier.streamReady(sink.id),
        }),
      ledger: parkedMessageLedger(accountId, this.parked, (e) => log.error(e), {
        delivered: (sinkId, messages) => status.recent.add(sinkId, messages),
        failed: (sinkId, error) => status.noteFailure(sinkId, error),
      }),
      backfills: backfillStore(accountId, databaseId, this.sinks, this.backfills),
      metrics,
      stillWanted: async () => (await this.slots.findById(accountId, slotId))?.status === 'active',
      log: {
        info: (m) => log.log(m),
        warn: (m) => log.warn(m),
        error: (m, e) => log.error({ err: e }, m),
      },
    });
    this.readers.set(databaseId, reader);
    const unobserve = metrics.observe({ slot: slot.slotName, session: () => reader.current });
    const untrack = status.track(reader, slot.slotName);
    try {
      await reader.run(signal);
    } finally {
      if (this.readers.get(databaseId) === reader) this.readers.delete(databaseId);
      unobserve();
      await untrack();
    }
  }
}
