import { Injectable } from '@nestjs/common';
import type { Sink } from '#core/entities/sink.entity.js';
import { NotFoundError, TooManyRequestsError } from '#core/errors/api-errors.js';
import { SinksRepository } from '#core/repositories/sinks.repository.js';
import { type ReceivedMessage, StreamStore } from '#stream/stream-store.js';
import type { ReceiveParams } from './receive-params.js';
import { StreamWakeupsService } from './stream-wakeups.service.js';
import { WaitingReceivers } from './waiting-receivers.js';

/** Even without a wake-up, a long poll looks again this often (covers expired visibility timeouts). */
const RECHECK_MS = 1000;

@Injectable()
export class SequinStreamsService {
  constructor(
    private readonly sinks: SinksRepository,
    private readonly store: StreamStore,
    private readonly wakeups: StreamWakeupsService,
    private readonly waiting: WaitingReceivers,
  ) {}

  /** Another account's sink, or a sink of another kind, is reported like a missing one. */
  async streamSink(accountId: string, idOrName: string): Promise<Sink> {
    const sink = await this.sinks.findByIdOrName(accountId, idOrName);
    if (!sink || sink.destination.type !== 'sequin_stream') throw NotFoundError.of('sequin stream', idOrName);
    return sink;
  }

  async receive(
    accountId: string,
    idOrName: string,
    params: ReceiveParams,
    aborted: AbortSignal,
  ): Promise<ReceivedMessage[]> {
    const sink = await this.streamSink(accountId, idOrName);
    const limits = { batchSize: params.batchSize, visibilityMs: sink.ackWaitMs, maxAckPending: sink.maxAckPending };
    if (params.waitForMs === 0) return this.store.receive(accountId, sink.id, limits);

    const release = await this.waiting.take(sink.id, sink.maxWaiting, params.waitForMs);
    if (!release)
      throw new TooManyRequestsError(`${sink.maxWaiting} receivers are already waiting on this stream (max_waiting)`);
    const waiter = this.wakeups.waiter(sink.id);
    const stop = (): void => waiter.close();
    aborted.addEventListener('abort', stop, { once: true });
    try {
      const deadline = Date.now() + params.waitForMs;
      for (;;) {
        const messages = await this.store.receive(accountId, sink.id, limits);
        const now = Date.now();
        if (messages.length > 0 || now >= deadline || aborted.aborted) return messages;
        const visibilityEnd = (await this.store.nextVisibilityEnd(accountId, sink.id))?.getTime() ?? Infinity;
        await waiter.next(Math.max(1, Math.min(deadline, visibilityEnd + 5, now + RECHECK_MS) - now));
      }
    } finally {
      aborted.removeEventListener('abort', stop);
      waiter.close();
      await release();
    }
  }

  async ack(accountId: string, idOrName: string, ackIds: string[]): Promise<void> {
    const sink = await this.streamSink(accountId, idOrName);
    // An ack can make the next message of a group deliverable: wake the waiting receivers.
    if ((await this.store.ack(accountId, sink.id, ackIds)) > 0) await this.wakeups.wake(sink.id);
  }

  async nack(accountId: string, idOrName: string, ackIds: string[]): Promise<void> {
    const sink = await this.streamSink(accountId, idOrName);
    if ((await this.store.nack(accountId, sink.id, ackIds)) > 0) await this.wakeups.wake(sink.id);
  }
}
