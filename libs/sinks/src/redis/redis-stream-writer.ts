import { createHash } from 'node:crypto';
import { type Redis, ReplyError } from 'ioredis';
import { EncodedSender, type RespEncoder } from './raw-command.js';
import { DELIVERED, type DeliveryOutcome, ensureConnected, outcomesOf } from './redis-connection.js';

import { fieldsOf, lastValueOf, type StreamEntry } from './stream-entry.js';

export { type StreamEntry, StreamEntryEncoder } from './stream-entry.js';

/** An entry after the one that stopped its batch (or an earlier batch of the call): `error` says why. */
const notAttempted = (error: string): DeliveryOutcome => ({
  ok: false,
  error: `not attempted: an earlier entry of its batch failed (${error})`,
});

/** Room for the rest of a call's entries, so the encoder rarely grows (and copies) its buffer. */
const estimateBytes = (entries: StreamEntry[], from: number): number => {
  let bytes = 4096;
  for (let i = from; i < entries.length; i++) bytes += entries[i]!.end - entries[i]!.start + entries[i]!.id.length + 32;
  return bytes;
};
const ID_NOT_ABOVE_TOP = 'equal or smaller than the target stream top item';

/** Redis refused an explicit id at or below the stream's top. */
const isIdNotAboveTop = (outcome: DeliveryOutcome): boolean => !outcome.ok && outcome.error.includes(ID_NOT_ABOVE_TOP);

/**
 * One batch of XADDs in one script call: ARGV = max_len ('' for none), the fence ('' for none), then
 * per entry its id, its field count and its fields. With a fence, the batch applies only if the
 * stream's top entry ends with that value (the last field of the previous batch's last entry, whose
 * metadata names it): pipelined batches then never get in after a batch that failed part-way. Entries
 * are added in order; the first error other than an `lsn`-mode id refusal stops the batch, so nothing
 * after a failed entry gets in ahead of it. Returns `{attempted, {index, error, …}, fenced}`: entries
 * past `attempted` were not tried; `fenced` is 1 when the fence did not hold (nothing was tried).
 */
const XADD_BATCH_LUA = `
local key = KEYS[1]
if ARGV[2] ~= '' then
  local top = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)[1]
  if top == nil or top[2][#top[2]] ~= ARGV[2] then return {0, {}, 1} end
end
local maxlen = ARGV[1]
local failures = {}
local i, last, attempted = 3, #ARGV, 0
while i <= last do
  local count = tonumber(ARGV[i + 1])
  local reply
  if maxlen == '' then
    reply = redis.pcall('XADD', key, ARGV[i], unpack(ARGV, i + 2, i + 1 + count))
  else
    reply = redis.pcall('XADD', key, 'MAXLEN', '~', maxlen, ARGV[i], unpack(ARGV, i + 2, i + 1 + count))
  end
  attempted = attempted + 1
  if type(reply) == 'table' and reply.err then
    failures[#failures + 1] = attempted - 1
    failures[#failures + 1] = reply.err
    if not string.find(reply.err, '${ID_NOT_ABOVE_TOP}', 1, true) then return {attempted, failures, 0} end
  end
  i = i + 2 + count
end
return {attempted, failures, 0}
`;

const XADD_BATCH_SHA = createHash('sha1').update(XADD_BATCH_LUA).digest('hex');
type ScriptReply = [attempted: number, failures: Array<number | string>, fenced: 0 | 1];

/** The user's Redis will not run scripts for this user (ACL) or at all: XADD one by one instead. */
const scriptsRefused = (error: unknown): boolean =>
  error instanceof ReplyError &&
  /NOPERM.*'(eval|script)|unknown command .?(eval|script)|scripting is disabled/i.test((error as Error).message);

/**
 * Writes batches of entries to one stream in order, every reply checked. A batch is one Lua call
 * (one command and one reply for the whole batch instead of one per entry, which is most of the
 * client's cost per change); where the user's Redis refuses scripts, a MULTI/EXEC of XADDs, whose
 * queue-time rejection (OOM) of one entry aborts the whole batch instead of letting later entries in
 * ahead of it.
 */
export class RedisStreamWriter {
  private useScript = true;
  /**
   * The script's load on this connection's Redis, done or in flight (EVALSHA then needs no EVAL): one
   * load whether prepare() or the first call asks first. Null before it and after it failed or Redis
   * lost its scripts.
   */
  private scriptLoad: Promise<void> | null = null;
  private readonly sender: EncodedSender;

  /**
   * `isOwnEntry`: whether an entry already in the stream was written by this sink (in `lsn` mode: its
   * id is the one its own metadata gives); decides whether a refused id is a replay.
   */
  constructor(
    private readonly client: Redis,
    private readonly streamKey: string,
    private readonly maxLen: number | null,
    private readonly isOwnEntry: (id: string, fields: string[]) => boolean = () => false,
  ) {
    this.sender = new EncodedSender(client);
  }

  /** Connects and loads the script in the background (see SinkDelivery.prepare). */
  prepare(): void {
    ensureConnected(this.client)
      .then(() => this.loadScript())
      .catch(() => undefined);
  }

  private loadScript(): Promise<void> {
    this.scriptLoad ??= this.client.script('LOAD', XADD_BATCH_LUA).then(
      () => undefined,
      (error: unknown) => {
        this.scriptLoad = null;
        throw error;
      },
    );
    return this.scriptLoad;
  }

  /** `batchSize`: entries per batch (script call); a longer list goes as pipelined batches in one round trip. */
  async write(entries: StreamEntry[], batchSize = entries.length): Promise<DeliveryOutcome[]> {
    try {
      await ensureConnected(this.client);
      const outcomes = await this.send(entries, Math.max(1, batchSize));
      if (!outcomes.some(isIdNotAboveTop)) return outcomes;
      return await this.settleRefusedIds(entries, outcomes);
    } catch (error) {
      return entries.map(() => ({ ok: false, error: (error as Error).message }));
    }
  }

  private async send(entries: StreamEntry[], batchSize: number): Promise<DeliveryOutcome[]> {
    if (this.useScript) {
      try {
        return await this.sendScripts(entries, batchSize);
      } catch (error) {
        if (!scriptsRefused(error)) throw error;
        this.useScript = false;
      }
    }
    const outcomes: DeliveryOutcome[] = [];
    for (let from = 0; from < entries.length; from += batchSize) {
      const batch = await this.sendMulti(entries.slice(from, from + batchSize));
      outcomes.push(...batch);
      const stop = batch.find((outcome) => !outcome.ok && !isIdNotAboveTop(outcome));
      if (stop && !stop.ok) {
        for (let i = outcomes.length; i < entries.length; i++) outcomes.push(notAttempted(stop.error));
        break;
      }
    }
    return outcomes;
  }

  /**
   * Every batch in one pipeline, each after the first fenced on the one before. A fence that did not
   * hold after a batch that went in whole means another writer added to the stream in between: the
   * rest is sent again from there.
   */
  private async sendScripts(entries: StreamEntry[], batchSize: number): Promise<DeliveryOutcome[]> {
    const outcomes: DeliveryOutcome[] = new Array(entries.length);
    let from = 0;
    while (from < entries.length) {
      await this.loadScript();
      const starts: number[] = [];
      const replies = await this.sender.send(estimateBytes(entries, from), (encoder) => {
        for (let start = from; start < entries.length; start += batchSize) {
          // The previous entry's last field: the metadata, which names the message.
          const fence = start === from ? '' : lastValueOf(entries[start - 1]!);
          this.encodeBatch(encoder, entries, start, Math.min(start + batchSize, entries.length), fence);
          starts.push(start);
        }
        return starts.map(() => 'evalsha');
      });
      let resendFrom = entries.length;
      for (let b = 0; b < starts.length; b++) {
        const start = starts[b]!;
        const end = Math.min(start + batchSize, entries.length);
        const reply = replies[b]!;
        if (reply.status === 'rejected') {
          if (!String(reply.reason?.message).startsWith('NOSCRIPT')) throw reply.reason;
          // Redis lost its scripts (restart, SCRIPT FLUSH): nothing from here on ran (later batches are fenced).
          this.scriptLoad = null;
          resendFrom = start;
          break;
        }
        const [attempted, failures, fenced] = reply.value as ScriptReply;
        // A fenced batch follows one that ran through (a batch that stopped short ends the loop below).
        if (fenced === 1) {
          resendFrom = start;
          break;
        }
        const stop = this.fillOutcomes(outcomes, start, end, attempted, failures);
        if (stop !== null) {
          for (let i = end; i < entries.length; i++) outcomes[i] = notAttempted(stop);
          break;
        }
      }
      from = resendFrom;
    }
    return outcomes;
  }

  /** EVALSHA sha 1 key max_len fence, then per entry: id, field count, fields. */
  private encodeBatch(encoder: RespEncoder, entries: StreamEntry[], start: number, end: number, fence: string): void {
    let count = 6;
    for (let i = start; i < end; i++) count += 2 + entries[i]!.fieldCount;
    encoder.command(count).argument('EVALSHA').argument(XADD_BATCH_SHA).argument('1').argument(this.streamKey);
    encoder.argument(this.maxLen === null ? '' : String(this.maxLen)).argument(fence);
    for (let i = start; i < end; i++) {
      const { id, fieldCount, chunk, start: from, end: to } = entries[i]!;
      encoder.argument(id).argument(String(fieldCount)).encoded(chunk, from, to);
    }
  }

  /** One batch's outcomes from its script reply; the error that stopped it short, or null when it ran through. */
  private fillOutcomes(
    outcomes: DeliveryOutcome[],
    start: number,
    end: number,
    attempted: number,
    failures: Array<number | string>,
  ): string | null {
    for (let i = start; i < start + attempted; i++) outcomes[i] = DELIVERED;
    for (let f = 0; f < failures.length; f += 2) {
      outcomes[start + (failures[f] as number)] = { ok: false, error: failures[f + 1] as string, refused: true };
    }
    if (start + attempted === end) return null;
    const stop = failures[failures.length - 1] as string; // the script returns at the error that stops it
    for (let i = start + attempted; i < end; i++) outcomes[i] = notAttempted(stop);
    return stop;
  }

  private async sendMulti(entries: StreamEntry[]): Promise<DeliveryOutcome[]> {
    const pipeline = this.client.multi();
    const trim = this.maxLen === null ? [] : ['MAXLEN', '~', String(this.maxLen)];
    for (const entry of entries) pipeline.call('XADD', this.streamKey, ...trim, entry.id, ...fieldsOf(entry));
    return outcomesOf(await pipeline.exec(), entries.length);
  }

  private async settleRefusedIds(entries: StreamEntry[], outcomes: DeliveryOutcome[]): Promise<DeliveryOutcome[]> {
    const refused = entries.filter((_, i) => isIdNotAboveTop(outcomes[i]!));
    const replayed = await this.replayedIds(refused.map((entry) => entry.id));
    return outcomes.map((outcome, i) => {
      if (!isIdNotAboveTop(outcome)) return outcome;
      const { id } = entries[i]!;
      if (replayed.has(id)) return DELIVERED; // a replay after a crash or retry: delivered before
      return {
        ok: false,
        error:
          `XADD ${id} refused: the stream's top entry is newer and was not written by this sink, and ${id} ` +
          'is not in the stream (with stream_id_mode "lsn" the stream must hold only this sink\'s entries)',
      };
    });
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
