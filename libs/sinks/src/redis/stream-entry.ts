import { RespEncoder } from './raw-command.js';

/**
 * A Redis Stream entry, its fields already encoded as the RESP bulk strings XADD sends. The entry is
 * encoded when the message is made, not when its batch is sent: its JSON texts then die young, and
 * what waits in the pipeline until delivery is bytes outside the JavaScript heap instead of a
 * kilobyte of strings per message that every young collection on the way had to copy (the largest
 * part of the Redis Stream catch-up's garbage collection).
 */
export interface StreamEntry {
  /** `*`, or `<ms>-<seq>` derived from (commit_lsn, commit_idx) in `lsn` id mode. */
  readonly id: string;
  /** How many fields and values (twice the number of fields). */
  readonly fieldCount: number;
  /** field, value, field, value, … as RESP bulk strings: bytes `start` to `end` of `chunk`. */
  readonly chunk: Buffer;
  readonly start: number;
  readonly end: number;
  /** Where the last value's bulk string starts in `chunk` (-1 when there is none). */
  readonly lastValueAt: number;
}

/**
 * Encodes one sink's entries one after the other into chunks; a chunk goes when no entry refers to it.
 * One per sink (its delivery), not one per process: a sink's entries are delivered in order, so its
 * chunks are freed in order, and a stuck sink pins only its own entries' chunks. Sharing chunks
 * between sinks, a stuck sink that sees one change in a thousand would pin a whole chunk per entry.
 */
export class StreamEntryEncoder {
  private chunk: RespEncoder;
  /** Entries whose encoding could need more than this get a buffer of their own, of their exact size. */
  private readonly largeBytes: number;

  constructor(private readonly chunkBytes = 256 * 1024) {
    this.chunk = new RespEncoder(chunkBytes);
    this.largeBytes = chunkBytes >> 3;
  }

  /** `fields`: field, value, field, value, … */
  entry(id: string, fields: readonly string[]): StreamEntry {
    let worstCase = 0;
    for (const field of fields) worstCase += field.length * 3 + 16;
    if (worstCase > this.largeBytes) {
      // Sized for the worst case (three bytes a character), then copied: kept at its real size.
      const { chunk, start, end, lastValueAt } = encodeInto(new RespEncoder(worstCase), fields);
      return {
        id,
        fieldCount: fields.length,
        chunk: Buffer.from(chunk.subarray(start, end)),
        start: 0,
        end: end - start,
        lastValueAt: lastValueAt < 0 ? -1 : lastValueAt - start,
      };
    }
    // A new chunk rather than growing this one: growing copies the whole chunk. (At most an eighth is left unused.)
    if (this.chunk.length + worstCase > this.chunkBytes) this.chunk = new RespEncoder(this.chunkBytes);
    return { id, fieldCount: fields.length, ...encodeInto(this.chunk, fields) };
  }
}

/** Offsets rather than a view (subarray): a Buffer object per entry cost more than the copy it saves. */
function encodeInto(
  encoder: RespEncoder,
  fields: readonly string[],
): Pick<StreamEntry, 'chunk' | 'start' | 'end' | 'lastValueAt'> {
  const start = encoder.length;
  let lastValueAt = -1;
  for (let i = 0; i < fields.length; i++) {
    if (i === fields.length - 1) lastValueAt = encoder.length;
    encoder.argument(fields[i]!);
  }
  return { chunk: encoder.storage, start, end: encoder.length, lastValueAt };
}

/** The entry's fields and values as strings (the paths that need them are rare: no scripts, checks). */
export function fieldsOf(entry: StreamEntry): string[] {
  const fields: string[] = [];
  let at = entry.start;
  while (fields.length < entry.fieldCount) {
    const [value, next] = bulkStringAt(entry.chunk, at);
    fields.push(value);
    at = next;
  }
  return fields;
}

/** The entry's last value ('' without fields): the fence of the batch after it, see RedisStreamWriter. */
export function lastValueOf(entry: StreamEntry): string {
  return entry.lastValueAt < 0 ? '' : bulkStringAt(entry.chunk, entry.lastValueAt)[0];
}

/** The bulk string whose `$` is at `at`, and where the next one starts. */
function bulkStringAt(bytes: Buffer, at: number): [value: string, next: number] {
  let length = 0;
  let i = at + 1;
  for (; bytes[i] !== 13; i++) length = length * 10 + (bytes[i]! - 0x30);
  const from = i + 2;
  return [bytes.toString('utf8', from, from + length), from + length + 2];
}
