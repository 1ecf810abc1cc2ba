import { Module } from '@nestjs/common';
import { StreamStore } from '#stream/stream-store.js';
import { SequinStreamsController } from './sequin-streams.controller.js';
import { SequinStreamsService } from './sequin-streams.service.js';
import { StreamWakeupsService } from './stream-wakeups.service.js';
import { WaitingReceivers } from './waiting-receivers.js';

@Module({
  controllers: [SequinStreamsController],
  providers: [SequinStreamsService, StreamStore, StreamWakeupsService, WaitingReceivers],
  exports: [StreamStore],
})
export class SequinStreamsModule {}
