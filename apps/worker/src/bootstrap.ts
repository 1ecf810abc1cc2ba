import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import type { SluiceConfig } from '#core/config/config.js';
import { WorkerModule } from './worker.module.js';

/** The worker role has no HTTP server: an application context running BullMQ processors. */
export async function bootstrapWorker(config: SluiceConfig): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  await app.init();
  return app;
}
