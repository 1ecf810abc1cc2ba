import { Fifo } from './fifo.js';

describe('Fifo', () => {
  it('keeps order across wrap-around and growth', () => {
    const fifo = new Fifo<number>();
    const expected: number[] = [];
    let next = 0;
    // Interleaved pushes and shifts move the head around the ring while it grows to 64 slots.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 3; i++) {
        fifo.push(next);
        expected.push(next++);
      }
      expect(fifo.shift()).toBe(expected.shift());
      expect(fifo.length).toBe(expected.length);
      expect(fifo.peek()).toBe(expected[0]);
      expect(fifo.peek(expected.length - 1)).toBe(expected.at(-1));
    }
    expect([...fifo]).toEqual(expected);
    while (expected.length > 0) expect(fifo.shift()).toBe(expected.shift());
    expect(fifo.shift()).toBeUndefined();
    expect(fifo.length).toBe(0);
  });

  it('answers undefined outside its items', () => {
    const fifo = new Fifo<string>();
    fifo.push('a');
    expect(fifo.peek(1)).toBeUndefined();
    expect(fifo.peek(-1)).toBeUndefined();
    fifo.shift();
    expect(fifo.peek()).toBeUndefined();
  });

  it('removes matching items and keeps the others in order, wrapped or not', () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 3; i++) fifo.push(i);
    fifo.shift();
    fifo.shift();
    for (let i = 3; i < 12; i++) fifo.push(i); // the ring has wrapped and grown
    expect(fifo.removeWhere((n) => n % 3 === 0)).toEqual([3, 6, 9]);
    expect([...fifo]).toEqual([2, 4, 5, 7, 8, 10, 11]);
    fifo.push(12);
    expect(fifo.length).toBe(8);
    expect(fifo.peek(7)).toBe(12);
  });
});

describe('Fifo capacity', () => {
  it('doubles as it fills and gives back a peak once mostly empty', () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 10_000; i++) fifo.push(i);
    expect(fifo.capacity).toBe(16_384);
    for (let i = 0; i < 9_990; i++) expect(fifo.shift()).toBe(i);
    expect(fifo.capacity).toBeLessThanOrEqual(1024);
    expect([...fifo]).toEqual([9990, 9991, 9992, 9993, 9994, 9995, 9996, 9997, 9998, 9999]);
  });

  it('removeWhere keeps only the slots the rest needs', () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 5_000; i++) fifo.push(i);
    fifo.removeWhere((n) => n >= 3);
    expect([...fifo]).toEqual([0, 1, 2]);
    expect(fifo.capacity).toBe(4);
  });
});
