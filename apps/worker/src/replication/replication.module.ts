import { Module } from '@nestjs/common';
import { MaintenanceModule } from '../maintenance/maintenance.module.js';
import { NotificationsListener } from './notifications.listener.js';
import { ReplicationWorker } from './replication.worker.js';
import { SlotReadersService } from './slot-readers.service.js';

@Module({ imports: [MaintenanceModule], providers: [SlotReadersService, ReplicationWorker, NotificationsListener] })
export class ReplicationModule {}
