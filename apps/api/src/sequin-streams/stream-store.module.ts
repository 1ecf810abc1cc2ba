import { Global, Module } from '@nestjs/common';
import { StreamStore } from '#stream/stream-store.js';

/** The Sequin Stream store, for the stream routes and the messages API of every sink. */
@Global()
@Module({ providers: [StreamStore], exports: [StreamStore] })
export class StreamStoreModule {}
