import type { Sink } from '#core/entities/sink.entity.js';

/** How long a looked-up sink is reused: changes to a sink's settings reach its stream routes this late. */
export const SINK_CACHE_MS = 1000;
const MAX_ENTRIES = 10_000;

/**
 * The sinks the stream routes looked up lately, per account and id or name: a busy worker calls
 * receive and ack hundreds of times a second, each would otherwise read its sink again. Only found
 * sinks are kept (a new sink is usable at once).
 */
export class StreamSinkCache {
  private readonly entries = new Map<string, { sink: Sink; until: number }>();

  constructor(private readonly ttlMs = SINK_CACHE_MS) {}

  async get(accountId: string, idOrName: string, load: () => Promise<Sink | null>): Promise<Sink | null> {
    const key = `${accountId}\u0000${idOrName}`;
    const now = Date.now();
    const cached = this.entries.get(key);
    if (cached && cached.until > now) return cached.sink;
    const sink = await load();
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    if (sink) this.entries.set(key, { sink, until: now + this.ttlMs });
    else this.entries.delete(key);
    return sink;
  }
}
