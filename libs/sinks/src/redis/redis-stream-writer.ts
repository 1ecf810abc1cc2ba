import type { Redis } from 'ioredis';
import { type DeliveryOutcome, ensureConnected, outcomesOf } from './redis-connection.js';

export interface StreamEntry {
  /** `*`, or `<ms>-<seq>` derived from (commit_lsn, commit_idx) in `lsn` id mode. */
  id: string;
  /** field, value, field, value, … */
  fields: string[];
}

/** Redis refused an explicit id at or below the stream's top. */
const isIdNotAboveTop = (outcome: DeliveryOutcome): boolean =>
  !outcome.ok && outcome.error.includes('equal or smaller than the target stream top item');

/**
 * Pipelined XADD to one stream inside MULTI/EXEC, every reply checked. The transaction matters for
 * order: a queue-time rejection (OOM) of one entry aborts the whole batch instead of letting later
 * entries in ahead of it; execution-time errors (WRONGTYPE, NOPERM) hit every entry alike.
 */
export class RedisStreamWriter {
  /**
   * `isOwnEntry`: whether an entry already in the stream was written by this sink (in `lsn` mode: its
   * id is the one its own metadata gives); decides whether a refused id is a replay.
   */
  constructor(
    private readonly client: Redis,
    private readonly streamKey: string,
    private readonly maxLen: number | null,
    private readonly isOwnEntry: (id: string, fields: string[]) => boolean = () => false,
  ) {}

  async write(entries: StreamEntry[]): Promise<DeliveryOutcome[]> {
    try {
      await ensureConnected(this.client);
      const pipeline = this.client.multi();
      for (const entry of entries) {
        const trim = this.maxLen === null ? [] : ['MAXLEN', '~', String(this.maxLen)];
        pipeline.call('XADD', this.streamKey, ...trim, entry.id, ...entry.fields);
      }
      const outcomes = outcomesOf(await pipeline.exec(), entries.length);
      const refused = entries.filter((_, i) => isIdNotAboveTop(outcomes[i]!));
      if (refused.length === 0) return outcomes;
      const replayed = await this.replayedIds(refused.map((entry) => entry.id));
      return outcomes.map((outcome, i) => {
        if (!isIdNotAboveTop(outcome)) return outcome;
        const { id } = entries[i]!;
        if (replayed.has(id)) return { ok: true }; // a replay after a crash or retry: delivered before
        return {
          ok: false,
          error:
            `XADD ${id} refused: the stream's top entry is newer and was not written by this sink, and ${id} ` +
            'is not in the stream (with stream_id_mode "lsn" the stream must hold only this sink\'s entries)',
        };
      });
    } catch (error) {
      return entries.map(() => ({ ok: false, error: (error as Error).message }));
    }
  }

  /**
   * Of ids Redis refused as not above the top (`lsn` mode), those written before: still in the stream,
   * or below a top entry of this sink (entries go in in commit order, so anything below it that is gone
   * was trimmed by max_len or deleted). Below an entry of another writer, counting the refused entry
   * as delivered would lose it.
   */
  private async replayedIds(ids: string[]): Promise<Set<string>> {
    const pipeline = this.client.pipeline();
    pipeline.xrevrange(this.streamKey, '+', '-', 'COUNT', 1);
    for (const id of ids) pipeline.xrange(this.streamKey, id, id);
    const replies = (await pipeline.exec())!.map(([error, reply]) => {
      if (error) throw error;
      return reply as Array<[id: string, fields: string[]]>;
    });
    const top = replies[0]![0];
    if (top && this.isOwnEntry(...top)) return new Set(ids);
    return new Set(ids.filter((_, i) => replies[i + 1]!.length > 0));
  }
}
