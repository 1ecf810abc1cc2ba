import { fieldsOf, lastValueOf, streamEntry } from './stream-entry.js';

describe('streamEntry', () => {
  it('gives back every field and value as given: empty, multi-byte, long, control characters', () => {
    const long = 'x'.repeat(70_000) + 'é';
    const fields = ['record', '{"a":"ünïcødé 🚀"}', 'empty', '', 'crlf', 'a\r\nb', 'metadata', long];
    const entry = streamEntry('*', fields);
    expect(entry.fieldCount).toBe(fields.length);
    expect(fieldsOf(entry)).toEqual(fields);
    expect(lastValueOf(entry)).toBe(long);
  });

  it('keeps each entry its own bytes across many entries (chunks filling up and replaced)', () => {
    const entries = Array.from({ length: 3000 }, (_, n) =>
      streamEntry(`${n}-0`, ['n', String(n), 'metadata', `{"n":${n}}`]),
    );
    entries.forEach((entry, n) => {
      expect(entry.id).toBe(`${n}-0`);
      expect(fieldsOf(entry)).toEqual(['n', String(n), 'metadata', `{"n":${n}}`]);
    });
  });

  it('has no fence without fields', () => {
    const entry = streamEntry('*', []);
    expect(fieldsOf(entry)).toEqual([]);
    expect(lastValueOf(entry)).toBe('');
  });

  it('is encoded as RESP bulk strings', () => {
    const entry = streamEntry('*', ['a', 'é']);
    expect(entry.chunk.toString('utf8', entry.start, entry.end)).toBe('$1\r\na\r\n$2\r\né\r\n');
  });
});
