import { Module } from '@nestjs/common';
import { LongPollDrain } from './long-poll-drain.js';
import { SequinStreamsController } from './sequin-streams.controller.js';
import { SequinStreamsService } from './sequin-streams.service.js';
import { StreamStoreModule } from './stream-store.module.js';
import { StreamWakeupsService } from './stream-wakeups.service.js';
import { WaitingReceivers } from './waiting-receivers.js';

@Module({
  imports: [StreamStoreModule],
  controllers: [SequinStreamsController],
  providers: [SequinStreamsService, StreamWakeupsService, WaitingReceivers, LongPollDrain],
})
export class SequinStreamsModule {}
