import { fieldsOf, lastValueOf, type StreamEntry, StreamEntryEncoder } from './stream-entry.js';

describe('StreamEntryEncoder', () => {
  const text = (entry: StreamEntry): string => entry.chunk.toString('utf8', entry.start, entry.end);

  it('gives back every field and value as given: empty, multi-byte, long, control characters', () => {
    const long = 'x'.repeat(70_000) + 'é';
    const fields = ['record', '{"a":"ünïcødé 🚀"}', 'empty', '', 'crlf', 'a\r\nb', 'metadata', long];
    const entry = new StreamEntryEncoder().entry('*', fields);
    expect(entry.fieldCount).toBe(fields.length);
    expect(fieldsOf(entry)).toEqual(fields);
    expect(lastValueOf(entry)).toBe(long);
  });

  it('keeps each entry its own bytes while chunks fill up and are replaced', () => {
    const encoder = new StreamEntryEncoder(1024);
    const fieldsAt = (n: number) => ['n', String(n), 'metadata', `{"n":${n},"é":"${'ü'.repeat(n % 40)}"}`];
    const entries = Array.from({ length: 300 }, (_, n) => encoder.entry(`${n}-0`, fieldsAt(n)));
    expect(new Set(entries.map((entry) => entry.chunk)).size).toBeGreaterThan(10);
    entries.forEach((entry, n) => {
      expect(entry.id).toBe(`${n}-0`);
      expect(fieldsOf(entry)).toEqual(fieldsAt(n));
      expect(lastValueOf(entry)).toBe(fieldsAt(n)[3]);
    });
  });

  it('gives a large entry a buffer of its own, of its exact size, leaving the chunk to the small ones', () => {
    const encoder = new StreamEntryEncoder(1024);
    const small = encoder.entry('1-0', ['n', '1']);
    const large = encoder.entry('2-0', ['metadata', 'é'.repeat(500)]);
    const next = encoder.entry('3-0', ['n', '3']);
    expect(large.chunk.length).toBe(large.end - large.start);
    expect(large.chunk).not.toBe(small.chunk);
    expect(next.chunk).toBe(small.chunk);
    expect(fieldsOf(large)).toEqual(['metadata', 'é'.repeat(500)]);
    expect(lastValueOf(large)).toBe('é'.repeat(500));
  });

  it('has no fence without fields', () => {
    const entry = new StreamEntryEncoder().entry('*', []);
    expect(fieldsOf(entry)).toEqual([]);
    expect(lastValueOf(entry)).toBe('');
  });

  it('is encoded as RESP bulk strings', () => {
    expect(text(new StreamEntryEncoder().entry('*', ['a', 'é']))).toBe('$1\r\na\r\n$2\r\né\r\n');
  });
});
