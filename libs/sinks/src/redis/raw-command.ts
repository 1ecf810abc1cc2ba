import { Command, type Redis } from 'ioredis';
import type { PipelineWriteableStream } from 'ioredis/built/types.js';

/** Arguments up to this many characters are tried as ASCII first (see shortArgument). */
const SHORT_ARGUMENT = 48;

/**
 * Redis commands encoded straight into one Buffer (RESP). ioredis builds a command by concatenating
 * strings and then has the socket encode the result; for batches of large entries that was the
 * biggest single cost on the delivery path, and writing each argument once into a Buffer is about
 * half of it.
 */
export class RespEncoder {
  private buffer: Buffer;
  private offset = 0;

  /** `reuse`: a buffer no longer needed (its bytes were sent and answered), used if large enough. */
  constructor(initialSize = 64 * 1024, reuse: Buffer | null = null) {
    this.buffer = reuse !== null && reuse.length >= initialSize ? reuse : Buffer.allocUnsafe(initialSize);
  }

  /** The whole underlying buffer, to reuse once what finish() returned is no longer needed. */
  get storage(): Buffer {
    return this.buffer;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.offset;
  }

  /** Arguments encoded earlier (bytes `start` to `end` of `source`, see stream-entry.ts), copied as they are. */
  encoded(source: Buffer, start: number, end: number): this {
    this.reserve(end - start);
    this.offset += source.copy(this.buffer, this.offset, start, end);
    return this;
  }

  /** Starts a command of `count` arguments (the command's name included). */
  command(count: number): this {
    this.reserve(24);
    this.buffer[this.offset++] = 0x2a; // *
    this.digits(count);
    this.crlf();
    return this;
  }

  /** A bulk string. */
  argument(value: string): this {
    return value.length <= SHORT_ARGUMENT ? this.shortArgument(value) : this.longArgument(value);
  }

  /**
   * Field names, actions, ids, counts: byte by byte when ASCII, which costs less than the call into
   * Buffer.write (most arguments of a stream entry are these).
   */
  private shortArgument(value: string): this {
    const length = value.length;
    this.reserve(length + 16);
    const start = this.offset;
    this.buffer[this.offset++] = 0x24; // $
    this.digits(length);
    this.crlf();
    const buffer = this.buffer;
    let offset = this.offset;
    for (let i = 0; i < length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) {
        this.offset = start;
        return this.longArgument(value);
      }
      buffer[offset++] = code;
    }
    this.offset = offset;
    this.crlf();
    return this;
  }

  /**
   * Its UTF-8 length is only known once written: it is written after room for the longest header it
   * could need, and moved up to its header when that is shorter (cheaper than measuring the string
   * first, which for a concatenated string means flattening it twice).
   */
  private longArgument(value: string): this {
    const maxBytes = value.length * 3;
    const room = 3 + String(maxBytes).length;
    this.reserve(room + maxBytes + 2);
    const start = this.offset;
    const length = this.buffer.write(value, start + room, maxBytes, 'utf8');
    this.buffer[this.offset++] = 0x24; // $
    this.digits(length);
    this.crlf();
    if (this.offset !== start + room) this.buffer.copyWithin(this.offset, start + room, start + room + length);
    this.offset += length;
    this.crlf();
    return this;
  }

  /** What has been written (a view: the encoder must not be used afterwards). */
  finish(): Buffer {
    return this.buffer.subarray(0, this.offset);
  }

  private digits(value: number): void {
    if (value >= 10) this.digits(Math.floor(value / 10));
    this.buffer[this.offset++] = 0x30 + (value % 10);
  }

  private crlf(): void {
    this.buffer[this.offset++] = 13;
    this.buffer[this.offset++] = 10;
  }

  private reserve(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.offset + bytes));
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
  }
}

/**
 * A command whose bytes are already encoded. ioredis still queues it and matches its reply; only the
 * encoding is skipped.
 */
class PrebuiltCommand extends Command {
  constructor(
    name: string,
    private readonly bytes: Buffer | '',
  ) {
    super(name, [], { replyEncoding: 'utf8' });
  }

  override toWritable(): Buffer | string {
    return this.bytes;
  }
}

/**
 * Sends `bytes`, which hold one encoded command per name in `names`, in one socket write; resolves
 * to each command's reply (or rejects with its error), in order. The commands after the first are
 * queued for their replies without a write of their own: a socket write per command, even an empty
 * one, costs a system call (≈3 µs here), which for a block of 1,000 SETs was a quarter of the
 * delivery's time. (ioredis' pipelines use the same `stream` argument to write into their buffer.)
 */
function sendEncoded(client: Redis, bytes: Buffer, names: string[]): Array<Promise<unknown>> {
  const alreadyWritten: PipelineWriteableStream = {
    isPipeline: true,
    write: () => true,
    destination: { redis: { stream: client.stream } },
  };
  const replies: Array<Promise<unknown>> = new Array(names.length);
  for (let i = 0; i < names.length; i++) {
    const command = new PrebuiltCommand(names[i]!, i === 0 ? bytes : '');
    // As in ioredis' pipelines: when the connection closes part-way through the replies, the rest of
    // the block is rejected, never queued for a resend (which would write nothing and then take the
    // replies of later commands). Sink clients also flush their queue on close (maxRetriesPerRequest 0).
    command.pipelineIndex = i;
    client.sendCommand(command, i === 0 ? undefined : alreadyWritten);
    replies[i] = command.promise;
  }
  return replies;
}

/**
 * Blocks of encoded commands on one client. Each block is encoded into the previous block's buffer
 * once every command of that block was answered (so Redis read every byte): a fresh ≈1 MB buffer per
 * block cost page faults and grew the worker's RSS.
 */
export class EncodedSender {
  private spare: Buffer | null = null;

  constructor(private readonly client: Redis) {}

  /**
   * `encode` writes the block's commands and returns their names, one per reply expected; resolves
   * to every reply, settled, in order. `sizeHint`: bytes the block probably needs.
   */
  async send(sizeHint: number, encode: (encoder: RespEncoder) => string[]): Promise<PromiseSettledResult<unknown>[]> {
    const encoder = new RespEncoder(sizeHint, this.spare);
    this.spare = null;
    const names = encode(encoder);
    const replies = await Promise.allSettled(sendEncoded(this.client, encoder.finish(), names));
    if (replies.every((reply) => reply.status === 'fulfilled')) this.spare = encoder.storage;
    return replies;
  }
}
