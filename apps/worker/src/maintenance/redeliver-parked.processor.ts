import { Injectable, Logger } from '@nestjs/common';
import { Vault } from '#core/crypto/vault.js';
import type { SinkDestination } from '#core/entities/sink-destination.js';
import type { RedeliverParkedJobData } from '#core/queues/queue-names.js';
import { type ParkedRecord, ParkedMessagesRepository } from '#core/repositories/parked-messages.repository.js';
import { SinksRepository } from '#core/repositories/sinks.repository.js';
import type { Message } from '#replication/messages/message.js';
import { createSinkDelivery } from '#sinks/create-sink-delivery.js';
import type { DeliveryOutcome } from '#sinks/redis/redis-connection.js';
import type { SinkDelivery } from '#sinks/sink-delivery.js';

/** Dead messages claimed per round; more wait for the next round of the same job. */
const CLAIM_LIMIT = 1_000;
/** A claim outlives a crashed redelivery by this much, then the messages can be claimed again. */
const CLAIM_LEASE_MS = 120_000;

export interface RedeliveryResult {
  delivered: number;
  failed: number;
}

/**
 * Delivers a sink's dead-lettered messages again (the messages API's redeliver): the reader no longer
 * holds them, so the maintenance worker sends the stored envelopes through the sink's own delivery,
 * in commit order, keeping the sink's ordering: per group (Redis String) one message of a group per
 * batch, and a failure holds back the rest of its group; in total order (Redis Stream) a failure holds
 * back everything after it. Delivered records are deleted; failed ones count the attempt and keep the
 * error, and stay dead.
 */
@Injectable()
export class RedeliverParkedProcessor {
  private readonly logger = new Logger(RedeliverParkedProcessor.name);

  constructor(
    private readonly sinks: SinksRepository,
    private readonly parked: ParkedMessagesRepository,
    private readonly vault: Vault,
  ) {}

  async process({ accountId, sinkId, keys }: RedeliverParkedJobData): Promise<RedeliveryResult> {
    const result: RedeliveryResult = { delivered: 0, failed: 0 };
    const sink = await this.sinks.findById(accountId, sinkId);
    // A paused or disabled sink delivers nothing; the API refuses to redeliver for one.
    if (!sink || sink.status !== 'active') return result;
    const delivery = createSinkDelivery(sink.name, sink.destination as unknown as SinkDestination, this.vault);
    if (!delivery) return result;
    try {
      const blocked = new Set<string>();
      for (;;) {
        const claimed = await this.parked.claimDead(accountId, sinkId, keys, CLAIM_LIMIT, CLAIM_LEASE_MS);
        if (claimed.length === 0) break;
        const round = await this.deliverInOrder(accountId, sinkId, delivery, claimed, sink.batchSize, blocked);
        result.delivered += round.delivered;
        result.failed += round.failed;
        if (claimed.length < CLAIM_LIMIT || round.delivered === 0) break;
      }
    } finally {
      await delivery.close().catch(() => undefined);
    }
    this.logger.log(`Redelivered ${result.delivered} dead messages of sink ${sink.name}; ${result.failed} failed`);
    return result;
  }

  private async deliverInOrder(
    accountId: string,
    sinkId: string,
    delivery: SinkDelivery<unknown>,
    records: ParkedRecord[],
    batchSize: number,
    blocked: Set<string>,
  ): Promise<RedeliveryResult> {
    const result: RedeliveryResult = { delivered: 0, failed: 0 };
    const groupOf = (record: ParkedRecord): string =>
      delivery.ordering === 'total' ? '' : record.groupId === null ? `\u0000${record.id}` : `g:${record.groupId}`;
    const skipped: string[] = [];
    let remaining = records;
    while (remaining.length > 0) {
      const batch: ParkedRecord[] = [];
      const inBatch = new Set<string>();
      const later: ParkedRecord[] = [];
      for (const record of remaining) {
        const group = groupOf(record);
        if (blocked.has(group)) skipped.push(record.id);
        else if (batch.length >= batchSize || (delivery.ordering === 'per-group' && inBatch.has(group)))
          later.push(record);
        else {
          batch.push(record);
          inBatch.add(group);
        }
      }
      if (batch.length === 0) break;
      const outcomes = await this.send(delivery, batch);
      const delivered: string[] = [];
      for (let i = 0; i < batch.length; i++) {
        const record = batch[i]!;
        const outcome = outcomes[i]!;
        if (outcome.ok) {
          delivered.push(record.id);
          continue;
        }
        blocked.add(groupOf(record));
        await this.parked.recordRedeliveryFailure(accountId, sinkId, record.id, outcome.error);
        result.failed++;
      }
      await this.parked.removeIds(accountId, sinkId, delivered);
      result.delivered += delivered.length;
      remaining = later;
    }
    await this.parked.releaseClaims(accountId, sinkId, skipped);
    return result;
  }

  /** One outcome per record; a message the sink writes nothing for counts as delivered. */
  private async send(delivery: SinkDelivery<unknown>, batch: ParkedRecord[]): Promise<DeliveryOutcome[]> {
    const outcomes: DeliveryOutcome[] = batch.map(() => ({ ok: true }));
    const payloads: unknown[] = [];
    const positions: number[] = [];
    batch.forEach((record, i) => {
      const payload = delivery.toPayload(record.data as unknown as Message, record.groupId);
      if (payload === null) return;
      payloads.push(payload);
      positions.push(i);
    });
    if (payloads.length === 0) return outcomes;
    let sent: DeliveryOutcome[];
    try {
      sent = await delivery.deliver(payloads);
    } catch (error) {
      sent = payloads.map(() => ({ ok: false, error: (error as Error).message }));
    }
    positions.forEach((position, i) => (outcomes[position] = sent[i] ?? { ok: false, error: 'no outcome' }));
    return outcomes;
  }
}
