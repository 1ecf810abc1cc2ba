/** Above this many slots, a queue down to a quarter full halves them: a long-lived queue gives back a peak. */
const SHRINK_ABOVE = 1024;

/**
 * A queue over a ring of slots (Array#shift is O(n) on large arrays). It replaces its slots only to
 * double or halve them, and then empties the old ones: a long-lived queue's abandoned backing store is
 * in V8's old generation, where what it still referenced can survive young collections until the next
 * full one.
 */
export class Fifo<T> {
  // A power of two. Most queues of a per-group sink hold one message: a literal is the cheapest start.
  private slots: Array<T | undefined> = [undefined, undefined, undefined, undefined];
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  /** Slots held now (grows by doubling, halves when a big queue is mostly empty). */
  get capacity(): number {
    return this.slots.length;
  }

  push(item: T): void {
    if (this.size === this.slots.length) this.resize(this.slots.length * 2);
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
    if (this.slots.length > SHRINK_ABOVE && this.size <= this.slots.length >> 2) this.resize(this.slots.length >> 1);
    return item;
  }

  /** Removes matching items, keeping the order of the rest (the rare path: discards, out-of-order success). */
  removeWhere(predicate: (item: T) => boolean): T[] {
    const removed: T[] = [];
    const kept: T[] = [];
    for (const item of this) (predicate(item) ? removed : kept).push(item);
    this.slots.fill(undefined);
    this.slots = [undefined, undefined, undefined, undefined];
    this.head = 0;
    this.size = 0;
    for (const item of kept) this.push(item);
    return removed;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.size; i++) yield this.slots[(this.head + i) & (this.slots.length - 1)]!;
  }

  private resize(capacity: number): void {
    const old = this.slots;
    const slots = new Array<T | undefined>(capacity).fill(undefined);
    for (let i = 0; i < this.size; i++) slots[i] = old[(this.head + i) & (old.length - 1)];
    old.fill(undefined);
    this.slots = slots;
    this.head = 0;
  }
}
