import { Module } from '@nestjs/common';
import { WorkerMetricsServer } from './worker-metrics.server.js';

/** Exposure of the worker metrics for a worker-only process (the metrics themselves: worker-metrics.ts). */
@Module({ providers: [WorkerMetricsServer] })
export class WorkerMetricsModule {}
