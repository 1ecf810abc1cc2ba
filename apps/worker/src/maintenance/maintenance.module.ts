import { Module } from '@nestjs/common';
import { ReconcileProcessor } from './reconcile.processor.js';
import { ReconcileTrigger } from './reconcile.trigger.js';
import { RedeliverParkedProcessor } from './redeliver-parked.processor.js';

@Module({ providers: [ReconcileProcessor, ReconcileTrigger, RedeliverParkedProcessor], exports: [ReconcileTrigger] })
export class MaintenanceModule {}
