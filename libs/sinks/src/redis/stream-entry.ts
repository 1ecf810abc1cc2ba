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

/** Entries are encoded one after the other into shared chunks; a chunk goes when no entry refers to it. */
const CHUNK_BYTES = 256 * 1024;
let chunk = new RespEncoder(CHUNK_BYTES);

/** `fields`: field, value, field, value, … */
export function streamEntry(id: string, fields: readonly string[]): StreamEntry {
  let worstCase = 0;
  for (const field of fields) worstCase += field.length * 3 + 16;
  // A new chunk rather than growing this one: growing copies the whole chunk.
  if (chunk.length + worstCase > CHUNK_BYTES) chunk = new RespEncoder(Math.max(CHUNK_BYTES, worstCase));
  const start = chunk.length;
  let lastValueAt = -1;
  for (let i = 0; i < fields.length; i++) {
    if (i === fields.length - 1) lastValueAt = chunk.length;
    chunk.argument(fields[i]!);
  }
  // Offsets rather than a view (subarray): a Buffer object per entry cost more than the copy it saves.
  return { id, fieldCount: fields.length, chunk: chunk.storage, start, end: chunk.length, lastValueAt };
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
