import type { Redis } from 'ioredis';
import { type DeliveryOutcome, ensureConnected, outcomesOf } from './redis-connection.js';

export interface StreamEntry {
  /** `*`, or `<ms>-<seq>` derived from (commit_lsn, commit_idx) in `lsn` id mode. */
  id: string;
  /** field, value, field, value, … */
  fields: string[];
}

/** Redis' answer to an explicit id at or below the stream's top: in `lsn` mode, an entry already there. */
const isReplayedId = (error: Error): boolean =>
  error.message.includes('equal or smaller than the target stream top item');

/**
 * Pipelined XADD to one stream inside MULTI/EXEC, every reply checked. The transaction matters for
 * order: a queue-time rejection (OOM) of one entry aborts the whole batch instead of letting later
 * entries in ahead of it; execution-time errors (WRONGTYPE, NOPERM) hit every entry alike.
 */
export class RedisStreamWriter {
  constructor(
    private readonly client: Redis,
    private readonly streamKey: string,
    private readonly maxLen: number | null,
  ) {}

  async write(entries: StreamEntry[]): Promise<DeliveryOutcome[]> {
    try {
      await ensureConnected(this.client);
      const pipeline = this.client.multi();
      for (const entry of entries) {
        const trim = this.maxLen === null ? [] : ['MAXLEN', '~', String(this.maxLen)];
        pipeline.call('XADD', this.streamKey, ...trim, entry.id, ...entry.fields);
      }
      return outcomesOf(await pipeline.exec(), entries.length, isReplayedId);
    } catch (error) {
      return entries.map(() => ({ ok: false, error: (error as Error).message }));
    }
  }
}
