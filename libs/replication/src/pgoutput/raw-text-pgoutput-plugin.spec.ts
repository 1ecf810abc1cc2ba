import type { Pgoutput } from 'pg-logical-replication';
import { RawTextPgoutputPlugin } from './raw-text-pgoutput-plugin.js';

/** Builds pgoutput protocol messages byte by byte (protocol-logicalrep-message-formats). */
class MessageWriter {
  private readonly parts: Buffer[] = [];
  byte(value: string | number): this {
    this.parts.push(Buffer.from([typeof value === 'string' ? value.charCodeAt(0) : value]));
    return this;
  }
  int16(value: number): this {
    const buffer = Buffer.alloc(2);
    buffer.writeInt16BE(value);
    this.parts.push(buffer);
    return this;
  }
  int32(value: number): this {
    const buffer = Buffer.alloc(4);
    buffer.writeInt32BE(value);
    this.parts.push(buffer);
    return this;
  }
  int64(value: bigint): this {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64BE(value);
    this.parts.push(buffer);
    return this;
  }
  cstring(value: string): this {
    this.parts.push(Buffer.from(`${value}\0`));
    return this;
  }
  text(value: string): this {
    const bytes = Buffer.from(value);
    return this.byte('t').int32(bytes.length).bytes(bytes);
  }
  bytes(value: Buffer): this {
    this.parts.push(value);
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const RELID = 16400;
const COLUMNS: Array<[name: string, oid: number, key: boolean]> = [
  ['id', 20, true],
  ['at', 1184, false],
  ['doc', 3802, false],
  ['body', 25, false],
];

function relationMessage(): Buffer {
  const writer = new MessageWriter()
    .byte('R')
    .int32(RELID)
    .cstring('public')
    .cstring('docs')
    .byte('d')
    .int16(COLUMNS.length);
  for (const [name, oid, key] of COLUMNS)
    writer
      .byte(key ? 1 : 0)
      .cstring(name)
      .int32(oid)
      .int32(-1);
  return writer.build();
}

/** An Insert of a row of COLUMNS, its four values written by `values`. */
function insertMessage(values: (writer: MessageWriter) => MessageWriter): Buffer {
  return values(new MessageWriter().byte('I').int32(RELID).byte('N').int16(COLUMNS.length)).build();
}

describe('RawTextPgoutputPlugin', () => {
  const plugin = new RawTextPgoutputPlugin({ protoVersion: 1, publicationNames: ['pub'] });
  plugin.parse(relationMessage());

  it('keeps every value in its text form', () => {
    const insert = plugin.parse(
      insertMessage((row) =>
        row.text('9223372036854775807').text('2026-11-23 10:00:00.123456+00').text('{"a": 1}').byte('n'),
      ),
    ) as Pgoutput.MessageInsert;
    expect(insert.new).toStrictEqual(
      Object.assign(Object.create(null) as object, {
        id: '9223372036854775807',
        at: '2026-11-23 10:00:00.123456+00',
        doc: '{"a": 1}',
        body: null,
      }),
    );
  });

  it('keeps a byte order mark that starts a value, and reads multi-byte UTF-8 whole', () => {
    const insert = plugin.parse(
      insertMessage((row) => row.text('1').byte('n').byte('n').text('\uFEFFé€😀')),
    ) as Pgoutput.MessageInsert;
    expect(insert.new['body']).toBe('\uFEFFé€😀');
  });

  it('refuses a tuple cut short', () => {
    const whole = insertMessage((row) => row.text('1').byte('n').byte('n').text('abc'));
    expect(() => plugin.parse(whole.subarray(0, whole.length - 1))).toThrow('unexpected end of message');
    // The plugin reads the next message as usual after refusing one.
    expect((plugin.parse(whole) as Pgoutput.MessageInsert).new['body']).toBe('abc');
  });

  it('leaves an unchanged TOAST value undefined without the old row', () => {
    const update = plugin.parse(
      new MessageWriter().byte('U').int32(RELID).byte('N').int16(4).text('1').byte('n').byte('n').byte('u').build(),
    ) as Pgoutput.MessageUpdate;
    expect('body' in update.new).toBe(true);
    expect(update.new['body']).toBeUndefined();
    expect(update.old).toBeNull();
  });

  it('fills an unchanged TOAST value in from the old row (REPLICA IDENTITY FULL)', () => {
    const update = plugin.parse(
      new MessageWriter()
        .byte('U')
        .int32(RELID)
        .byte('O')
        .int16(4)
        .text('1')
        .byte('n')
        .byte('n')
        .text('long text')
        .byte('N')
        .int16(4)
        .text('1')
        .text('2026-01-01 00:00:00+00')
        .byte('n')
        .byte('u')
        .build(),
    ) as Pgoutput.MessageUpdate;
    expect(update.new['body']).toBe('long text');
    expect(update.new['at']).toBe('2026-01-01 00:00:00+00');
  });

  it('gives the Begin commit time in exact microseconds since the Unix epoch', () => {
    // pgoutput sends microseconds since 2000-01-01.
    const sincePostgresEpoch = 1795428000123456n - 946684800000000n;
    const begin = plugin.parse(
      new MessageWriter().byte('B').int32(0).int32(0x075bcd15).int64(sincePostgresEpoch).int32(42).build(),
    ) as Pgoutput.MessageBegin;
    expect(begin.commitTime).toBe(1795428000123456n);
    expect(begin.commitLsn).toBe('00000000/075BCD15');
  });
});
