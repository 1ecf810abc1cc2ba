import { Injectable } from '@nestjs/common';
import type { Sink } from '#core/entities/sink.entity.js';
import { NotFoundError, TooManyRequestsError } from '#core/errors/api-errors.js';
import { SinksRepository } from '#core/repositories/sinks.repository.js';
import { type ReceivedMessage, type ReceiveLimits, StreamStore } from '#stream/stream-store.js';
import type { ReceiveParams } from './receive-params.js';
import { StreamSinkCache } from './stream-sink-cache.js';
import { StreamWakeupsService, type Waiter } from './stream-wakeups.service.js';
import { WaitingReceivers } from './waiting-receivers.js';

/** Even without a wake-up, a long poll looks again this often (covers a lost notification). */
const RECHECK_MS = 1000;
/** A visibility timeout is looked at this long after it ends (clock skew between Node and Postgres). */
const VISIBILITY_SLACK_MS = 5;

@Injectable()
export class SequinStreamsService {
  /** Settable for tests: a long value shows that only notifications and visibility timers wake a poll. */
  recheckMs = RECHECK_MS;
  private readonly stopping = new AbortController();
  private readonly sinkCache = new StreamSinkCache();

  constructor(
    private readonly sinks: SinksRepository,
    private readonly store: StreamStore,
    private readonly wakeups: StreamWakeupsService,
    private readonly waiting: WaitingReceivers,
  ) {
    wakeups.onSinkChanged((sinkId) => this.sinkCache.forget(sinkId));
  }

  /** Another account's sink, or a sink of another kind, is reported like a missing one. */
  async streamSink(accountId: string, idOrName: string): Promise<Sink> {
    const sink = await this.sinkCache.get(accountId, idOrName, () => this.sinks.findByIdOrName(accountId, idOrName));
    if (!sink || sink.destination.type !== 'sequin_stream') throw NotFoundError.of('sequin stream', idOrName);
    return sink;
  }

  /**
   * With wait_for, holds a max_waiting place and looks for messages whenever a notification, a
   * visibility timeout or the periodic re-check says there may be some. Once the client is gone
   * (`aborted`) it claims nothing more, and gives back what a claim in flight got. A paused or
   * disabled sink hands out nothing, redeliveries included; a long poll waits (re-reading the sink
   * at each re-check) and claims once the sink is active again.
   */
  async receive(
    accountId: string,
    idOrName: string,
    params: ReceiveParams,
    aborted: AbortSignal,
  ): Promise<ReceivedMessage[]> {
    const sink = await this.streamSink(accountId, idOrName);
    const limits = { batchSize: params.batchSize, visibilityMs: sink.ackWaitMs, maxAckPending: sink.maxAckPending };
    if (params.waitForMs === 0 || this.stopping.signal.aborted) {
      return sink.status === 'active' ? this.claim(sink.id, limits, aborted) : [];
    }
    if (aborted.aborted) return [];

    const place = await this.waiting.take(sink.id, sink.maxWaiting);
    if (!place)
      throw new TooManyRequestsError(`${sink.maxWaiting} receivers are already waiting on this stream (max_waiting)`);
    const waiter = this.wakeups.waiter(sink.id);
    const stop = (): void => {
      waiter.close();
      void place.release(); // at once: the next caller may take the place before this call unwinds
    };
    const shutdown = (): void => waiter.close();
    aborted.addEventListener('abort', stop, { once: true });
    this.stopping.signal.addEventListener('abort', shutdown, { once: true });
    try {
      const delivering = async (): Promise<boolean> => (await this.streamSink(accountId, idOrName)).status === 'active';
      return await this.poll(sink.id, limits, Date.now() + params.waitForMs, waiter, aborted, delivering);
    } finally {
      aborted.removeEventListener('abort', stop);
      this.stopping.signal.removeEventListener('abort', shutdown);
      waiter.close();
      await place.release();
    }
  }

  private async poll(
    sinkId: string,
    limits: ReceiveLimits,
    deadline: number,
    waiter: Waiter,
    aborted: AbortSignal,
    delivering: () => Promise<boolean>,
  ): Promise<ReceivedMessage[]> {
    for (;;) {
      if (aborted.aborted) return [];
      const active = await delivering();
      const messages = active ? await this.claim(sinkId, limits, aborted) : [];
      const now = Date.now();
      if (messages.length > 0 || now >= deadline || aborted.aborted || this.stopping.signal.aborted) return messages;
      const visibilityEnd = active ? ((await this.store.nextVisibilityEnd(sinkId))?.getTime() ?? Infinity) : Infinity;
      const wakeAt = Math.min(deadline, visibilityEnd + VISIBILITY_SLACK_MS, now + this.recheckMs);
      await waiter.next(Math.max(1, wakeAt - Date.now()));
    }
  }

  /** The process is stopping: waiting polls answer what they have now, and new ones do not wait. */
  stop(): void {
    this.stopping.abort();
  }

  /** A claim whose client left meanwhile is given back at once (nack): nobody would ack it. */
  private async claim(sinkId: string, limits: ReceiveLimits, aborted: AbortSignal): Promise<ReceivedMessage[]> {
    const messages = await this.store.receive(sinkId, limits);
    if (!aborted.aborted || messages.length === 0) return messages;
    await this.nackAndWake(
      sinkId,
      messages.map((m) => m.ackId),
    );
    return [];
  }

  async ack(accountId: string, idOrName: string, ackIds: string[]): Promise<void> {
    const sink = await this.streamSink(accountId, idOrName);
    // The next message of a group, or room under max_ack_pending: wake the waiting receivers.
    if ((await this.store.ack(sink.id, ackIds, sink.maxAckPending)).wake) await this.wakeups.wake(sink.id);
  }

  async nack(accountId: string, idOrName: string, ackIds: string[]): Promise<void> {
    const sink = await this.streamSink(accountId, idOrName);
    await this.nackAndWake(sink.id, ackIds);
  }

  private async nackAndWake(sinkId: string, ackIds: string[]): Promise<void> {
    if ((await this.store.nack(sinkId, ackIds)) > 0) await this.wakeups.wake(sinkId);
  }
}
