import { Inject, Injectable } from '@nestjs/common';
import { SLUICE_CONFIG } from '#core/config/config.tokens.js';
import type { SluiceConfig } from '#core/config/config.js';
import type { Sink } from '#core/entities/sink.entity.js';
import {
  type MessageSummary,
  sinkDeliveredKey,
  type SinkStatusSnapshot,
  sinkStatusKey,
  sinkWarningsKey,
} from '#core/queues/sink-status.js';
import { InternalRedis } from '#core/redis/internal-redis.js';
import { ParkedMessagesRepository } from '#core/repositories/parked-messages.repository.js';

/** What the API knows about a sink's delivery, for its health. */
export interface SinkObservation {
  /** Whether a replication reader runs the sink; null when the internal Redis did not say. */
  readerRunning: boolean | null;
  /** Why `readerRunning` is null. */
  readerUnknownReason?: string;
  failing: number;
  /** Last error of the most recently updated failing message. */
  failingError: string | null;
  dead: number;
  deadError: string | null;
  /** Recent problems with the source's changes (invalid transaction annotations…). */
  warnings: string[];
}

/**
 * Reads what the worker running a sink publishes in the internal Redis (its status, the recently
 * delivered messages) and the sink's parked messages in the metadata Postgres.
 */
@Injectable()
export class SinkObservations {
  constructor(
    @Inject(SLUICE_CONFIG) private readonly config: SluiceConfig,
    private readonly redis: InternalRedis,
    private readonly parked: ParkedMessagesRepository,
  ) {}

  /** The status the reader running the sink published last; null when none runs it. */
  async status(sinkId: string): Promise<SinkStatusSnapshot | null> {
    const text = await this.redis.client.get(sinkStatusKey(this.config.redisPrefix, sinkId));
    return text === null ? null : (JSON.parse(text) as SinkStatusSnapshot);
  }

  /** The sink's most recently delivered messages, newest first. */
  async delivered(sinkId: string, limit: number): Promise<MessageSummary[]> {
    const items = await this.redis.client.lrange(sinkDeliveredKey(this.config.redisPrefix, sinkId), 0, limit - 1);
    return items.map((item) => JSON.parse(item) as MessageSummary);
  }

  /** Health inputs of the account's `sinks`, by sink id. */
  async observe(accountId: string, sinks: Sink[]): Promise<Map<string, SinkObservation>> {
    const ids = sinks.map((sink) => sink.id);
    const [summaries, running] = await Promise.all([this.parked.summaryBySink(accountId, ids), this.running(ids)]);
    const observations = new Map<string, SinkObservation>(
      ids.map((id) => [
        id,
        {
          readerRunning: running.ok ? running.ids.has(id) : null,
          ...(running.ok ? {} : { readerUnknownReason: running.reason }),
          failing: 0,
          failingError: null,
          dead: 0,
          deadError: null,
          warnings: running.ok ? (running.warnings.get(id) ?? []) : [],
        },
      ]),
    );
    for (const summary of summaries) {
      const observation = observations.get(summary.sinkId);
      if (!observation) continue;
      if (summary.state === 'failing') {
        observation.failing = summary.count;
        observation.failingError = summary.lastError;
      } else if (summary.state === 'dead') {
        observation.dead = summary.count;
        observation.deadError = summary.lastError;
      } // pending: parked behind a failing head, which the failing count already reports
    }
    return observations;
  }

  /**
   * Sinks with a status key (only existence: the snapshots carry messages, health needs none of
   * them), and the sinks' current warnings.
   */
  private async running(
    ids: string[],
  ): Promise<{ ok: true; ids: Set<string>; warnings: Map<string, string[]> } | { ok: false; reason: string }> {
    if (ids.length === 0) return { ok: true, ids: new Set(), warnings: new Map() };
    try {
      const pipeline = this.redis.client.pipeline();
      for (const id of ids) {
        pipeline.exists(sinkStatusKey(this.config.redisPrefix, id));
        pipeline.get(sinkWarningsKey(this.config.redisPrefix, id));
      }
      const replies = (await pipeline.exec()) ?? [];
      const running = new Set<string>();
      const warnings = new Map<string, string[]>();
      ids.forEach((id, i) => {
        const [[existsError, exists], [warningsError, text]] = [replies[2 * i]!, replies[2 * i + 1]!];
        if (existsError || warningsError) throw existsError ?? warningsError;
        if (exists === 1) running.add(id);
        if (typeof text === 'string') warnings.set(id, JSON.parse(text) as string[]);
      });
      return { ok: true, ids: running, warnings };
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    }
  }
}
