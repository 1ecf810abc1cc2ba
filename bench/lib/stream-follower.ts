import { Redis } from 'ioredis';
import { nowMs } from './clock.js';

/**
 * Follows a Redis stream with XREAD while a long load runs, checks each entry as it comes (every row
 * id once, (commit_lsn, commit_idx) strictly increasing) and trims what it has read, so a 10-minute
 * run does not keep gigabytes of entries in Redis.
 */
export interface FollowResult {
  entries: number;
  unique: number;
  duplicates: number;
  unexpected: number;
  outOfOrder: number;
  /** Smallest and largest row id seen (NaN when none). */
  minId: number;
  maxId: number;
  problems: string[];
}

const MAX_PROBLEMS = 10;
const TRIM_EVERY = 20_000;

export class StreamFollower {
  private readonly redis: Redis;
  private readonly result: FollowResult = {
    entries: 0,
    unique: 0,
    duplicates: 0,
    unexpected: 0,
    outOfOrder: 0,
    minId: NaN,
    maxId: NaN,
    problems: [],
  };
  private seen = new Uint8Array(1 << 16);
  private expected: number | null = null;
  private stopped = false;
  private lastProgressAt = nowMs();
  /** Trimming waits while another reader of the stream still needs its entries. */
  private trimAllowed = true;
  readonly done: Promise<FollowResult>;

  /** Reads entries after `afterId`; row ids are expected from `firstRowId` on. */
  constructor(
    redisUrl: string,
    private readonly key: string,
    private afterId: string,
    private readonly firstRowId: number,
    private readonly idleTimeoutMs: number,
  ) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.done = this.follow().finally(() => this.redis.disconnect());
  }

  /** The number of rows to wait for; the follower ends when it has them or after idleTimeoutMs without any. */
  expect(count: number): void {
    this.expected = count;
    this.lastProgressAt = nowMs();
  }

  stop(): void {
    this.stopped = true;
  }

  /** Keeps what it has read in the stream until `finished` settles (another reader is still on it). */
  trimAfter(finished: Promise<unknown>): void {
    this.trimAllowed = false;
    const allow = (): void => void (this.trimAllowed = true);
    finished.then(allow, allow);
  }

  private async follow(): Promise<FollowResult> {
    const r = this.result;
    let lastLsn = -1;
    let lastIdx = -1;
    let sinceTrim = 0;
    while (!this.stopped) {
      if (this.expected !== null && (r.unique >= this.expected || nowMs() - this.lastProgressAt > this.idleTimeoutMs)) {
        break;
      }
      const reply = (await this.redis.xread('COUNT', 2000, 'BLOCK', 500, 'STREAMS', this.key, this.afterId)) as Array<
        [string, Array<[string, string[]]>]
      > | null;
      if (reply === null) continue;
      this.lastProgressAt = nowMs();
      for (const [id, flat] of reply[0]![1]) {
        this.afterId = id;
        r.entries++;
        sinceTrim++;
        let metadata: { commit_lsn: number; commit_idx: number };
        let rowId: number;
        try {
          const fields: Record<string, string> = {};
          for (let i = 0; i < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
          metadata = JSON.parse(fields.metadata!) as typeof metadata;
          rowId = Number((JSON.parse(fields.record!) as { id: number }).id);
        } catch {
          r.unexpected++;
          this.problem(`entry ${id}: metadata or record is not JSON`);
          continue;
        }
        const row = rowId - this.firstRowId;
        if (!Number.isInteger(row) || row < 0) {
          r.unexpected++;
          this.problem(`entry ${id}: unexpected row id ${rowId}`);
          continue;
        }
        while (row >= this.seen.length) {
          const grown = new Uint8Array(this.seen.length * 2);
          grown.set(this.seen);
          this.seen = grown;
        }
        if (this.seen[row]) {
          r.duplicates++;
          this.problem(`entry ${id}: row ${rowId} again`);
          continue;
        }
        this.seen[row] = 1;
        r.unique++;
        r.minId = Number.isNaN(r.minId) ? rowId : Math.min(r.minId, rowId);
        r.maxId = Number.isNaN(r.maxId) ? rowId : Math.max(r.maxId, rowId);
        if (metadata.commit_lsn < lastLsn || (metadata.commit_lsn === lastLsn && metadata.commit_idx <= lastIdx)) {
          r.outOfOrder++;
          this.problem(`entry ${id}: (${metadata.commit_lsn}, ${metadata.commit_idx}) after (${lastLsn}, ${lastIdx})`);
        }
        lastLsn = metadata.commit_lsn;
        lastIdx = metadata.commit_idx;
      }
      if (sinceTrim >= TRIM_EVERY && this.trimAllowed) {
        await this.redis.xtrim(this.key, 'MINID', this.afterId);
        sinceTrim = 0;
      }
    }
    return r;
  }

  private problem(text: string): void {
    if (this.result.problems.length < MAX_PROBLEMS) this.result.problems.push(text);
  }
}
