/** A text's UTF-8 bytes: `start` to `end` of `chunk`, a buffer other texts may share. */
export interface Utf8Slice {
  readonly chunk: Buffer;
  readonly start: number;
  readonly end: number;
}

/** A slice of its own, for the odd text (tests, large rows). */
export function utf8Slice(text: string): Utf8Slice {
  const chunk = Buffer.from(text, 'utf8');
  return { chunk, start: 0, end: chunk.length };
}

export function sliceText(slice: Utf8Slice): string {
  return slice.chunk.toString('utf8', slice.start, slice.end);
}

export const sliceBytes = (slice: Utf8Slice): number => slice.end - slice.start;

/**
 * Encodes texts one after the other into chunks outside the JavaScript heap. A Sequin Stream message's
 * JSON waits in its sink's pipeline until its batch is stored; held as a string, every young
 * collection on the way copied it and then promoted it, a quarter of the bytes the fan-out bench's
 * worker promoted. One writer per sink, like the Redis Stream entries' encoder: a sink's batches are
 * stored in order, so its chunks are freed in order, and a stuck sink pins only its own.
 */
export class Utf8SliceWriter {
  /** Made by the first write: a sink that never gets a message holds none. */
  private chunk: Buffer | null = null;
  private used = 0;
  /** Texts that could need more than this get a buffer of their own, of their exact size. */
  private readonly largeBytes: number;

  constructor(private readonly chunkBytes = 256 * 1024) {
    this.largeBytes = chunkBytes >> 3;
  }

  write(text: string): Utf8Slice {
    const worstCase = text.length * 3;
    if (worstCase > this.largeBytes) return utf8Slice(text);
    // A new chunk rather than a grown one (at most an eighth of each is left unused).
    if (this.chunk === null || this.used + worstCase > this.chunkBytes) {
      this.chunk = Buffer.allocUnsafe(this.chunkBytes);
      this.used = 0;
    }
    const start = this.used;
    this.used += this.chunk.write(text, start);
    return { chunk: this.chunk, start, end: this.used };
  }
}
