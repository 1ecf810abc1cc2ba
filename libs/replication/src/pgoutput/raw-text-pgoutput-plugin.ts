import { PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';

const keepText = (text: string): string => text;

/** What the library's BinaryReader holds: the message and the read position (2.5's field names). */
interface ReaderState {
  _b: Buffer;
  _p: number;
}

type Tuple = Record<string, unknown>;

/**
 * pgoutput with every value left in Postgres' text form. The library runs `pg`'s global type parsers
 * on tuple values (timestamptz → Date loses microseconds, int8 → string, json → object…); it reads
 * them from each RelationColumn's `parser`, and keeps the Relation object it returns as its relation
 * cache, so swapping the parser here — before the next message is parsed — makes every later tuple raw.
 * An unchanged TOAST value ('u') then reads as the old row's text when the old row is known, else undefined.
 *
 * Tuples are read by `readTextTuple` instead of the library's reader, which made a Buffer view and ran
 * a TextDecoder per value (a fifth of the reader's allocations in the catch-up profile) and dropped a
 * byte order mark that starts a value.
 */
export class RawTextPgoutputPlugin extends PgoutputPlugin {
  constructor(options: ConstructorParameters<typeof PgoutputPlugin>[0]) {
    super(options);
    const { parser } = this as unknown as { parser: { readTuple: unknown } };
    if (typeof parser.readTuple !== 'function')
      throw new Error('pg-logical-replication: PgoutputParser has no readTuple');
    parser.readTuple = readTextTuple;
  }

  override parse(buffer: Buffer): Pgoutput.Message {
    const message = super.parse(buffer);
    if (message.tag === 'relation') {
      for (const column of message.columns) column.parser = keepText;
    }
    return message;
  }
}

/** A TupleData (protocol-logicalrep-message-formats) as an object of column name → text, null or binary. */
function readTextTuple(reader: ReaderState, relation: Pgoutput.MessageRelation, unchangedToastFallback?: Tuple): Tuple {
  const buffer = reader._b;
  if (!Buffer.isBuffer(buffer) || typeof reader._p !== 'number') {
    throw new Error('pg-logical-replication: BinaryReader does not hold _b and _p');
  }
  let at = reader._p;
  need(buffer, at, 2);
  const count = buffer.readUInt16BE(at);
  at += 2;
  const { columns } = relation;
  const tuple: Tuple = Object.create(null) as Tuple;
  for (let i = 0; i < count; i++) {
    const name = columns[i]!.name;
    need(buffer, at, 1);
    const kind = buffer[at++];
    if (kind === 0x74 /* t */ || kind === 0x62 /* b */) {
      need(buffer, at, 4);
      const size = buffer.readInt32BE(at);
      at += 4;
      need(buffer, at, size);
      tuple[name] = kind === 0x74 ? buffer.toString('utf8', at, at + size) : buffer.subarray(at, at + size);
      at += size;
    } else if (kind === 0x6e /* n */) {
      tuple[name] = null;
    } else if (kind === 0x75 /* u */) {
      tuple[name] = unchangedToastFallback?.[name];
    } else {
      throw new Error(`unknown attribute kind ${String.fromCharCode(kind!)}`);
    }
  }
  reader._p = at;
  return tuple;
}

function need(buffer: Buffer, at: number, bytes: number): void {
  if (bytes < 0 || at + bytes > buffer.length) throw new Error('unexpected end of message');
}
