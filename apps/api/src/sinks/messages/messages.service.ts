import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { ParkedMessage } from '#core/entities/parked-message.entity.js';
import type { Sink } from '#core/entities/sink.entity.js';
import { BadRequestError, ValidationError } from '#core/errors/api-errors.js';
import { Notifier } from '#core/queues/notifier.js';
import { QueueNames, REDELIVER_PARKED_JOB, type RedeliverParkedJobData } from '#core/queues/queue-names.js';
import type { MessageEnvelopeJson, MessageSummary } from '#core/queues/sink-status.js';
import { ParkedMessagesRepository } from '#core/repositories/parked-messages.repository.js';
import { SinksRepository } from '#core/repositories/sinks.repository.js';
import { StreamStore } from '#stream/stream-store.js';
import type { MessageQuery } from './message-query.js';
import { SinkObservations } from './sink-observations.js';
import { streamListState, type StreamMessageSummary, streamSummary } from './stream-messages.js';

/**
 * The spec's envelope of a message the reader holds or parked: a change that came without its primary
 * key carries a note of it (kept when parked, so that a redelivery refuses it again), not shown.
 */
function envelopeOf(data: unknown): MessageEnvelopeJson {
  const { primaryKeyMissing: _internal, ...envelope } = data as Record<string, unknown>;
  return envelope as unknown as MessageEnvelopeJson;
}

function parkedSummary(row: ParkedMessage): MessageSummary {
  return {
    id: row.idempotencyKey,
    seq: null,
    group_id: row.groupId,
    deliver_count: row.deliverCount,
    last_error: row.lastError,
    not_visible_until: row.notVisibleUntil?.toISOString() ?? null,
    commit_lsn: Number(row.commitLsn),
    inserted_at: row.insertedAt.toISOString(),
    data: envelopeOf(row.data),
  };
}

/**
 * The messages of a push sink: failing and dead ones from the metadata Postgres (parked by the
 * reader), pending and delivered ones from what the worker running the sink publishes in the
 * internal Redis. Redeliver and discard act on the parked records and tell the reader. A
 * sequin_stream sink's messages come from its stream (stream_messages).
 */
@Injectable()
export class SinkMessagesService {
  constructor(
    private readonly sinks: SinksRepository,
    private readonly parked: ParkedMessagesRepository,
    private readonly observations: SinkObservations,
    private readonly notifier: Notifier,
    @InjectQueue(QueueNames.maintenance) private readonly maintenance: Queue<RedeliverParkedJobData>,
    private readonly stream: StreamStore,
  ) {}

  /** The sink, or 404; the query is checked after, so another account learns nothing from a 400. */
  find(accountId: string, idOrName: string): Promise<Sink> {
    return this.sinks.getByIdOrName(accountId, idOrName);
  }

  async list(sink: Sink, { state, limit }: MessageQuery): Promise<MessageSummary[] | StreamMessageSummary[]> {
    if (sink.destination.type === 'sequin_stream') {
      const streamState = streamListState(state);
      return streamState ? (await this.stream.list(sink.id, streamState, limit)).map(streamSummary) : [];
    }
    switch (state) {
      case 'outstanding':
        throw new BadRequestError('state outstanding is for sequin_stream sinks only');
      case 'failing':
      case 'dead':
        return (await this.parked.listOfSink(sink.accountId, sink.id, state, limit)).map(parkedSummary);
      case 'pending':
        return ((await this.observations.status(sink.id))?.pending ?? [])
          .slice(0, limit)
          .map((message) => ({ ...message, data: envelopeOf(message.data) }));
      case 'delivered':
        return this.observations.delivered(sink.id, limit);
    }
  }

  /**
   * Failing messages are retried at once by the reader holding them; dead ones (which no reader
   * holds) are delivered by a maintenance job. `ids` null: every failing message; dead ones were
   * given up on after max_retry_count and come back only by their ids. A
   * Sequin Stream's outstanding messages are due at once, for any receiver.
   */
  async redeliver(sink: Sink, ids: string[] | null): Promise<void> {
    if (sink.status !== 'active') {
      throw new ValidationError(`Cannot redeliver messages of a ${sink.status} sink: make it active first`, {
        status: ['must be active to redeliver messages'],
      });
    }
    const { accountId, id: sinkId } = sink;
    const keys = ids && [...new Set(ids)];
    if (sink.destination.type === 'sequin_stream') {
      if ((await this.stream.redeliver(sinkId, keys)) > 0) await this.wakeReceivers(sinkId);
      return;
    }
    await this.parked.makeFailingDue(accountId, sinkId, keys);
    if (keys !== null && (await this.parked.hasDead(accountId, sinkId, keys))) {
      await this.maintenance.add(
        REDELIVER_PARKED_JOB,
        { accountId, sinkId, keys },
        { removeOnComplete: true, removeOnFail: 100, attempts: 3, backoff: { type: 'exponential', delay: 1000 } },
      );
    }
    // Also for keys without a record yet: the reader may hold a message whose failure is being written.
    await this.notifier.sinkCommand({ accountId, databaseId: sink.postgresDatabaseId, sinkId, op: 'redeliver', keys });
  }

  /** The reader drops the messages it holds (as if delivered) and their records are deleted. */
  async discard(sink: Sink, ids: string[]): Promise<void> {
    const { accountId, id: sinkId } = sink;
    const keys = [...new Set(ids)];
    if (sink.destination.type === 'sequin_stream') {
      // A discarded head lets its group's next message through.
      if ((await this.stream.discard(sinkId, keys)) > 0) await this.wakeReceivers(sinkId);
      return;
    }
    await this.notifier.sinkCommand({ accountId, databaseId: sink.postgresDatabaseId, sinkId, op: 'discard', keys });
    await this.parked.removeKeys(accountId, sinkId, keys);
  }

  private wakeReceivers(sinkId: string): Promise<void> {
    return this.notifier.streamReady(sinkId);
  }
}
