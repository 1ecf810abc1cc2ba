import type { Sink } from '#core/entities/sink.entity.js';

/**
 * How long a looked-up sink is reused. A change to the sink evicts it at once (see forget); this is
 * how late a change reaches the stream routes when that notification is lost.
 */
export const SINK_CACHE_MS = 1000;
const MAX_ENTRIES = 10_000;

/**
 * The sinks the stream routes looked up lately, per account and id or name: a busy worker calls
 * receive and ack hundreds of times a second, each would otherwise read its sink again. Only found
 * sinks are kept (a new sink is usable at once).
 */
export class StreamSinkCache {
  private readonly entries = new Map<string, { sink: Sink; until: number }>();
  /** Counts forget() calls; `forgotten` has each sink's last one. */
  private forgets = 0;
  private readonly forgotten = new Map<string, number>();

  constructor(private readonly ttlMs = SINK_CACHE_MS) {}

  async get(accountId: string, idOrName: string, load: () => Promise<Sink | null>): Promise<Sink | null> {
    const key = `${accountId}\u0000${idOrName}`;
    const now = Date.now();
    const cached = this.entries.get(key);
    if (cached && cached.until > now) return cached.sink;
    const began = this.forgets;
    const sink = await load();
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    // A lookup that began before the sink's last change may have read the old row: used, not kept.
    const changedSince = sink !== null && (this.forgotten.get(sink.id) ?? -1) >= began;
    if (sink && !changedSince) this.entries.set(key, { sink, until: now + this.ttlMs });
    else this.entries.delete(key);
    return sink;
  }

  /** The sink changed or was deleted: every copy of it goes (it may be cached by its id and by its name). */
  forget(sinkId: string): void {
    if (this.forgotten.size >= MAX_ENTRIES) {
      // Only a lookup that spans this many changes could still need the oldest of them.
      for (const [id, at] of this.forgotten) if (at < this.forgets - MAX_ENTRIES / 2) this.forgotten.delete(id);
    }
    this.forgotten.set(sinkId, this.forgets++);
    for (const [key, { sink }] of this.entries) if (sink.id === sinkId) this.entries.delete(key);
  }
}
