import { type DynamicModule, Module } from '@nestjs/common';
import type { SluiceConfig } from '#core/config/config.js';
import { CoreModule } from '#core/core.module.js';
import { sluiceLoggerModule } from '#core/logging/logger.module.js';
import { MaintenanceModule } from './maintenance/maintenance.module.js';
import { WorkerMetricsModule } from './metrics/worker-metrics.module.js';
import { ReplicationModule } from './replication/replication.module.js';

/**
 * The worker role: replication readers (one BullMQ job per active slot, delivering to push sinks),
 * the maintenance queue that reconciles readers with the metadata and redelivers dead messages, and
 * the metrics endpoint of a worker-only process.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: SluiceConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        CoreModule.forRoot(config),
        sluiceLoggerModule(config),
        ReplicationModule,
        MaintenanceModule,
        WorkerMetricsModule,
      ],
    };
  }
}
