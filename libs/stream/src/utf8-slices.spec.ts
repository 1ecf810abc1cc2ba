import { sliceBytes, sliceText, Utf8SliceWriter } from './utf8-slices.js';

describe('Utf8SliceWriter', () => {
  it('gives back every text as written, across chunks, whatever its characters', () => {
    const writer = new Utf8SliceWriter(64);
    const texts = ['{"a":1}', 'é€𝄞 mixed', '', 'x'.repeat(7), '\u001e', 'ü'.repeat(5), '{"b":"\\u0000"}'];
    const slices = Array.from({ length: 20 }, (_, i) => texts[i % texts.length]!).map((t) => writer.write(t));
    expect(slices.map(sliceText)).toEqual(Array.from({ length: 20 }, (_, i) => texts[i % texts.length]));
    expect(slices.map(sliceBytes)).toEqual(slices.map((s) => Buffer.byteLength(sliceText(s))));
    expect(new Set(slices.map((s) => s.chunk)).size).toBeGreaterThan(1);
  });

  it('gives a text that could fill more than an eighth of a chunk a buffer of its exact size', () => {
    const writer = new Utf8SliceWriter(64);
    const slice = writer.write('€'.repeat(4)); // 12 bytes, but 4 × 3 > 64 / 8
    expect(slice).toMatchObject({ start: 0, end: 12 });
    expect(slice.chunk.length).toBe(12);
    expect(sliceText(slice)).toBe('€€€€');
  });
});
