import { FlushTracker } from './flush-tracker.js';

describe('FlushTracker', () => {
  it('moves past a transaction only when it and every earlier one are settled', () => {
    const tracker = new FlushTracker(10n);
    const a = tracker.open(100n);
    tracker.add(a, 2);
    tracker.close(a, 110n);
    const b = tracker.open(200n);
    tracker.add(b);
    tracker.close(b, 210n);

    tracker.settle(b);
    expect(tracker.flushLsn).toBe(10n);
    tracker.settle(a);
    expect(tracker.flushLsn).toBe(10n);
    tracker.settle(a);
    expect(tracker.flushLsn).toBe(210n);
    expect(tracker.pendingTransactions).toBe(0);
  });

  it('does not count an open transaction as settled', () => {
    const tracker = new FlushTracker(0n);
    const a = tracker.open(100n);
    tracker.add(a);
    tracker.settle(a);
    expect(tracker.flushLsn).toBe(0n);
    tracker.close(a, 110n);
    expect(tracker.flushLsn).toBe(110n);
  });

  it('passes transactions with nothing in scope at once', () => {
    const tracker = new FlushTracker(0n);
    tracker.close(tracker.open(100n), 110n);
    expect(tracker.flushLsn).toBe(110n);
  });

  it('follows the server WAL end only while nothing is in flight', () => {
    const tracker = new FlushTracker(0n);
    const a = tracker.open(100n);
    tracker.add(a);
    tracker.close(a, 110n);
    tracker.idleAt(500n);
    expect(tracker.flushLsn).toBe(0n);
    tracker.settle(a);
    tracker.idleAt(500n);
    expect(tracker.flushLsn).toBe(500n);
    tracker.idleAt(400n);
    expect(tracker.flushLsn).toBe(500n);
  });

  it('refuses to settle more than was added', () => {
    const tracker = new FlushTracker(0n);
    const a = tracker.open(1n);
    expect(() => tracker.settle(a)).toThrow();
  });

  it('keeps working across many transactions (queue compaction)', () => {
    const tracker = new FlushTracker(0n);
    const open = [];
    for (let i = 1; i <= 5000; i++) {
      const t = tracker.open(BigInt(i * 10));
      tracker.add(t);
      tracker.close(t, BigInt(i * 10 + 5));
      open.push(t);
    }
    for (const t of open.slice(0, 4000)) tracker.settle(t);
    expect(tracker.flushLsn).toBe(40005n);
    for (const t of open.slice(4000)) tracker.settle(t);
    expect(tracker.flushLsn).toBe(50005n);
  });

  it('calls onSettled once, when the transaction is closed and its last message settles, out of order', () => {
    const tracker = new FlushTracker(0n);
    const a = tracker.open(100n);
    tracker.add(a);
    tracker.close(a, 110n);
    const b = tracker.open(200n);
    const settled: string[] = [];
    b.onSettled = () => settled.push('b');
    tracker.add(b, 2);
    tracker.settle(b);
    expect(settled).toEqual([]);
    tracker.close(b, 210n);
    expect(settled).toEqual([]);
    tracker.settle(b);
    expect(settled).toEqual(['b']); // before a, which holds the flush LSN back
    expect(tracker.flushLsn).toBe(0n);
    tracker.settle(a);
    expect(settled).toEqual(['b']);
  });

  it('calls onSettled at close for a transaction with nothing outstanding', () => {
    const tracker = new FlushTracker(0n);
    const a = tracker.open(100n);
    let calls = 0;
    a.onSettled = () => calls++;
    tracker.close(a, 110n);
    expect(calls).toBe(1);
  });
});
