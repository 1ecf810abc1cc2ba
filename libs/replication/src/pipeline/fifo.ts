/**
 * A queue over a ring of slots (Array#shift is O(n) on large arrays). It replaces its slots only to
 * double them and then empties the old ones: a long-lived queue's abandoned backing store is in V8's
 * old generation, and whatever it still referenced would survive every young collection until the
 * next full one.
 */
export class Fifo<T> {
  // A power of two. Most queues of a per-group sink hold one message: a literal is the cheapest start.
  private slots: Array<T | undefined> = [undefined, undefined, undefined, undefined];
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(item: T): void {
    if (this.size === this.slots.length) this.grow();
    this.slots[(this.head + this.size) & (this.slots.length - 1)] = item;
    this.size++;
  }

  peek(index = 0): T | undefined {
    if (index < 0 || index >= this.size) return undefined;
    return this.slots[(this.head + index) & (this.slots.length - 1)];
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) & (this.slots.length - 1);
    this.size--;
    return item;
  }

  /** Removes matching items, keeping the order of the rest (the rare path: discards, out-of-order success). */
  removeWhere(predicate: (item: T) => boolean): T[] {
    const removed: T[] = [];
    const kept: T[] = [];
    for (const item of this) (predicate(item) ? removed : kept).push(item);
    this.slots.fill(undefined);
    this.head = 0;
    this.size = 0;
    for (const item of kept) this.push(item);
    return removed;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.size; i++) yield this.slots[(this.head + i) & (this.slots.length - 1)]!;
  }

  private grow(): void {
    const old = this.slots;
    const slots = new Array<T | undefined>(old.length * 2).fill(undefined);
    for (let i = 0; i < this.size; i++) slots[i] = old[(this.head + i) & (old.length - 1)];
    old.fill(undefined);
    this.slots = slots;
    this.head = 0;
  }
}
