import { Module } from '@nestjs/common';
import { ReconcileProcessor } from './reconcile.processor.js';
import { ReconcileTrigger } from './reconcile.trigger.js';

@Module({ providers: [ReconcileProcessor, ReconcileTrigger], exports: [ReconcileTrigger] })
export class MaintenanceModule {}
