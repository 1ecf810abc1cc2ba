import { Fifo } from './fifo.js';

/** One source transaction's share of the outstanding work. */
export interface TrackedTransaction {
  readonly commitLsn: bigint;
  /** LSN just past the commit record (known at commit): what the slot may be confirmed to once settled. */
  endLsn: bigint;
  outstanding: number;
  closed: boolean;
  /** Called once when the transaction is closed and all its messages are settled (e.g. a backfill page's). */
  onSettled?: () => void;
}

/**
 * Computes the flush LSN the reader may report to Postgres: the end of the newest transaction that,
 * together with every earlier one, has each of its messages delivered or durably stored. Transactions
 * are opened in commit order (the order pgoutput sends them) and settled in any order.
 */
export class FlushTracker {
  private readonly queue = new Fifo<TrackedTransaction>();
  private flushed: bigint;

  constructor(startLsn: bigint) {
    this.flushed = startLsn;
  }

  get flushLsn(): bigint {
    return this.flushed;
  }

  /** Transactions read but not yet fully settled. */
  get pendingTransactions(): number {
    return this.queue.length;
  }

  open(commitLsn: bigint): TrackedTransaction {
    const transaction: TrackedTransaction = { commitLsn, endLsn: commitLsn, outstanding: 0, closed: false };
    this.queue.push(transaction);
    return transaction;
  }

  /** Every message of the transaction has been routed; until then it cannot count as settled. */
  close(transaction: TrackedTransaction, endLsn: bigint): void {
    transaction.endLsn = endLsn;
    transaction.closed = true;
    if (transaction.outstanding === 0) settled(transaction);
    this.advance();
  }

  add(transaction: TrackedTransaction, messages = 1): void {
    transaction.outstanding += messages;
  }

  settle(transaction: TrackedTransaction, messages = 1): void {
    transaction.outstanding -= messages;
    if (transaction.outstanding < 0)
      throw new Error(`Settled more messages than were added at ${transaction.commitLsn}`);
    if (transaction.outstanding === 0) {
      if (transaction.closed) settled(transaction);
      this.advance();
    }
  }

  /**
   * The server reported its WAL end while nothing was in flight: everything before it is either
   * settled or out of scope, so the slot may move there (keeps an idle slot from pinning WAL).
   */
  idleAt(walEnd: bigint): void {
    if (this.pendingTransactions === 0 && walEnd > this.flushed) this.flushed = walEnd;
  }

  private advance(): void {
    for (let transaction = this.queue.peek(); transaction; transaction = this.queue.peek()) {
      if (!transaction.closed || transaction.outstanding > 0) break;
      if (transaction.endLsn > this.flushed) this.flushed = transaction.endLsn;
      this.queue.shift();
    }
  }
}

function settled(transaction: TrackedTransaction): void {
  const callback = transaction.onSettled;
  transaction.onSettled = undefined;
  callback?.();
}
