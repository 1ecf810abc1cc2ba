import { Inject, Injectable, Logger } from '@nestjs/common';
import { SLUICE_CONFIG } from '#core/config/config.tokens.js';
import type { SluiceConfig } from '#core/config/config.js';
import { Vault } from '#core/crypto/vault.js';
import type { ReplicationJobData } from '#core/queues/queue-names.js';
import { ParkedMessagesRepository } from '#core/repositories/parked-messages.repository.js';
import { PostgresDatabasesRepository } from '#core/repositories/postgres-databases.repository.js';
import { ReplicationSlotsRepository } from '#core/repositories/replication-slots.repository.js';
import { SinksRepository } from '#core/repositories/sinks.repository.js';
import { sourceClientConfig, sourceConnectionParams } from '#core/source/source-connection.js';
import { SlotReader } from '#replication/reader/slot-reader.js';
import { createSinkDelivery } from '#sinks/create-sink-delivery.js';
import { parkedMessageLedger } from './parked-message.ledger.js';
import { toLoadedSink } from './loaded-sinks.js';

/** Runs the reader of a slot for as long as this process holds its lease; tracks running readers. */
@Injectable()
export class SlotReadersService {
  private readonly logger = new Logger(SlotReadersService.name);
  private readonly readers = new Map<string, SlotReader>();

  constructor(
    @Inject(SLUICE_CONFIG) private readonly config: SluiceConfig,
    private readonly vault: Vault,
    private readonly databases: PostgresDatabasesRepository,
    private readonly slots: ReplicationSlotsRepository,
    private readonly sinks: SinksRepository,
    private readonly parked: ParkedMessagesRepository,
  ) {}

  /** The reader of this database's slot, when this process runs it. */
  readerFor(databaseId: string): SlotReader | undefined {
    return this.readers.get(databaseId);
  }

  async run({ accountId, databaseId, slotId }: ReplicationJobData, signal: AbortSignal): Promise<void> {
    const database = await this.databases.findById(accountId, databaseId);
    const slot = await this.slots.findById(accountId, slotId);
    if (!database || !slot || slot.status !== 'active') return;
    const log = this.logger;
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
      createDelivery: (sink) => createSinkDelivery(sink.name, sink.destination, this.vault),
      ledger: parkedMessageLedger(accountId, this.parked, (e) => log.error(e)),
      stillWanted: async () => (await this.slots.findById(accountId, slotId))?.status === 'active',
      log: {
        info: (m) => log.log(m),
        warn: (m) => log.warn(m),
        error: (m, e) => log.error({ err: e }, m),
      },
    });
    this.readers.set(databaseId, reader);
    try {
      await reader.run(signal);
    } finally {
      if (this.readers.get(databaseId) === reader) this.readers.delete(databaseId);
    }
  }
}
