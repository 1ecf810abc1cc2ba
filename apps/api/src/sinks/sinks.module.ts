import { Module } from '@nestjs/common';
import { SinksController } from './sinks.controller.js';
import { SinksService } from './sinks.service.js';

@Module({
  controllers: [SinksController],
  providers: [SinksService],
})
export class SinksModule {}
