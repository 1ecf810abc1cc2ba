import { Module } from '@nestjs/common';
import { StreamStore } from '#stream/stream-store.js';
import { MaintenanceModule } from '../maintenance/maintenance.module.js';
import { NotificationsListener } from './notifications.listener.js';
import { ReplicationWorker } from './replication.worker.js';
import { SlotReadersService } from './slot-readers.service.js';

@Module({
  imports: [MaintenanceModule],
  providers: [StreamStore, SlotReadersService, ReplicationWorker, NotificationsListener],
})
export class ReplicationModule {}
