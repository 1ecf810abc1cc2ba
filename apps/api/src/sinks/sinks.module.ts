import { Module } from '@nestjs/common';
import { SinkMessagesController } from './messages/messages.controller.js';
import { SinkMessagesService } from './messages/messages.service.js';
import { SinkObservations } from './messages/sink-observations.js';
import { SinksController } from './sinks.controller.js';
import { SinksService } from './sinks.service.js';

@Module({
  controllers: [SinksController, SinkMessagesController],
  providers: [SinksService, SinkMessagesService, SinkObservations],
})
export class SinksModule {}
