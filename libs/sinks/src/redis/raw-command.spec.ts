import { describe, expect, it } from '@jest/globals';
import { RespEncoder } from './raw-command.js';

const resp = (args: string[]): string =>
  `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

describe('RespEncoder', () => {
  const cases: Record<string, string[]> = {
    'short ASCII arguments': ['XADD', 'stream', '*', 'record', '{"id":1}', 'action', 'insert', '8'],
    'empty arguments': ['SET', '', ''],
    'short arguments with non-ASCII characters': ['SET', 'clé', 'ü', '🚀', `${'a'.repeat(47)}é`],
    'arguments at and around the short limit': ['a'.repeat(47), 'b'.repeat(48), 'c'.repeat(49)],
    'long arguments, ASCII and not': ['x'.repeat(5000), `${'y'.repeat(300)}ñ${'z'.repeat(300)}`, '日本語'.repeat(200)],
    'lengths whose digit count differs from the worst case': [
      'a'.repeat(9),
      'b'.repeat(10),
      'c'.repeat(99),
      'd'.repeat(100),
    ],
  };

  it.each(Object.entries(cases))('encodes %s as RESP', (_name, args) => {
    const encoder = new RespEncoder(16); // small: the buffer has to grow on the way
    encoder.command(args.length);
    for (const arg of args) encoder.argument(arg);
    expect(encoder.finish().toString('utf8')).toBe(resp(args));
  });

  it('encodes several commands into one buffer, reusing a spare one', () => {
    const spare = Buffer.alloc(1 << 16, 0xff);
    const encoder = new RespEncoder(1024, spare);
    encoder.command(3).argument('SET').argument('k').argument('v');
    encoder.command(2).argument('DEL').argument('k');
    expect(encoder.storage).toBe(spare);
    expect(encoder.finish().toString('utf8')).toBe(resp(['SET', 'k', 'v']) + resp(['DEL', 'k']));
  });
});
