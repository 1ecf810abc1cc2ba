import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SLUICE_CONFIG } from './config/config.tokens.js';
import type { SluiceConfig } from './config/config.js';
import { Vault } from './crypto/vault.js';
import { dataSourceOptions } from './database/data-source-options.js';
import { ENTITIES } from './entities/index.js';
import { Notifier } from './queues/notifier.js';
import { LoggedQueue } from './queues/logged-queue.js';
import { QueueNames } from './queues/queue-names.js';
import { InternalRedis } from './redis/internal-redis.js';
import { REPOSITORIES } from './repositories/index.js';

/**
 * TypeORM's root module, made once per configuration: @nestjs/typeorm records every forRoot() call
 * process-wide and warns that a second "default" data source overrides the first, which `npm start`
 * printed at every start (the API and the worker are two Nest applications in one process). Each
 * application still builds its own DataSource from the shared definition.
 */
const typeOrmRoots = new WeakMap<SluiceConfig, DynamicModule>();

function typeOrmRootFor(config: SluiceConfig): DynamicModule {
  let root = typeOrmRoots.get(config);
  if (!root) typeOrmRoots.set(config, (root = TypeOrmModule.forRoot(dataSourceOptions(config.databaseUrl))));
  return root;
}

/** What both apps share: config, metadata Postgres (TypeORM), scoped repositories, vault, BullMQ. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: SluiceConfig): DynamicModule {
    BullModule.queueClass = LoggedQueue; // read by registerQueue below
    return {
      module: CoreModule,
      imports: [
        typeOrmRootFor(config),
        TypeOrmModule.forFeature(ENTITIES),
        BullModule.forRoot({ connection: { url: config.redisUrl }, prefix: config.redisPrefix }),
        BullModule.registerQueue(...Object.values(QueueNames).map((name) => ({ name }))),
      ],
      providers: [
        { provide: SLUICE_CONFIG, useValue: config },
        { provide: Vault, useValue: new Vault(config.vaultKey) },
        InternalRedis,
        Notifier,
        ...REPOSITORIES,
      ],
      exports: [SLUICE_CONFIG, Vault, BullModule, InternalRedis, Notifier, ...REPOSITORIES],
    };
  }
}
