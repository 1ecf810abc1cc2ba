import { Module } from '@nestjs/common';
import { BackfillsController } from './backfills.controller.js';
import { BackfillsService } from './backfills.service.js';

@Module({
  controllers: [BackfillsController],
  providers: [BackfillsService],
})
export class BackfillsModule {}
