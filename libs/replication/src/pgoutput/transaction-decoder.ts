import type { Pgoutput } from 'pg-logical-replication';
import { lsnToBigInt } from '#core/source/lsn.js';
import { parseTransactionAnnotationMessage, TransactionAnnotations } from '../annotations/transaction-annotations.js';
import type { RowChange } from '../messages/change-body.js';
import { formatCommitTimestamp } from '../messages/commit-timestamp.js';
import { changePosition, type ChangePosition, type TransactionInfo } from '../messages/envelope.js';
import type { RawRow } from '../messages/raw-row.js';

export type DecodedEvent =
  | { kind: 'relation'; relation: Pgoutput.MessageRelation }
  | { kind: 'row'; relation: Pgoutput.MessageRelation; change: RowChange; position: ChangePosition }
  /** One per truncated table, each with its own commit_idx. */
  | { kind: 'truncate'; relation: Pgoutput.MessageRelation; position: ChangePosition }
  /** Logical messages other than transaction annotations (e.g. backfill watermarks). */
  | {
      kind: 'message';
      prefix: string;
      content: Uint8Array;
      transactional: boolean;
      messageLsn: bigint | null;
      transaction: TransactionInfo | null;
    }
  | { kind: 'annotation_warning'; prefix: string; transaction: TransactionInfo }
  | { kind: 'commit'; commitLsn: bigint; commitEndLsn: bigint };

const NONE: readonly DecodedEvent[] = Object.freeze([]);

/**
 * Turns pgoutput messages into changes positioned in their transaction: commit LSN and microsecond
 * commit timestamp from Begin, commit_idx counting every row change (and truncated table) of the
 * transaction whether or not a sink wants it, so positions are the same on every replay.
 */
export class PgoutputTransactionDecoder {
  private transaction: TransactionInfo | null = null;
  private nextCommitIdx = 0;
  private readonly annotations = new TransactionAnnotations();

  decode(message: Pgoutput.Message): readonly DecodedEvent[] {
    switch (message.tag) {
      case 'begin':
        return this.begin(message);
      case 'relation':
        return [{ kind: 'relation', relation: message }];
      case 'insert':
        return [this.row(message.relation, { action: 'insert', new: message.new as RawRow })];
      case 'update':
        return [
          this.row(message.relation, {
            action: 'update',
            new: message.new as RawRow,
            old: message.old as RawRow | null,
            key: message.key as RawRow | null,
          }),
        ];
      case 'delete':
        return [
          this.row(message.relation, {
            action: 'delete',
            old: message.old as RawRow | null,
            key: message.key as RawRow | null,
          }),
        ];
      case 'truncate':
        return message.relations.map((relation) => ({ kind: 'truncate', relation, position: this.nextPosition() }));
      case 'message':
        return this.logicalMessage(message);
      case 'commit':
        this.transaction = null;
        return [{ kind: 'commit', commitLsn: toLsn(message.commitLsn), commitEndLsn: toLsn(message.commitEndLsn) }];
      case 'origin':
      case 'type':
        return NONE;
    }
  }

  private begin(message: Pgoutput.MessageBegin): readonly DecodedEvent[] {
    this.annotations.reset();
    this.nextCommitIdx = 0;
    this.transaction = {
      commitLsn: toLsn(message.commitLsn),
      // The library gives microseconds since the Unix epoch as a bigint (typed as the BigInt wrapper).
      commitTimestamp: formatCommitTimestamp(message.commitTime.valueOf() as bigint),
      transactionAnnotations: null,
    };
    return NONE;
  }

  private row(relation: Pgoutput.MessageRelation, change: RowChange): DecodedEvent {
    return { kind: 'row', relation, change, position: this.nextPosition() };
  }

  private nextPosition(): ChangePosition {
    if (this.transaction === null) throw new Error('pgoutput sent a change outside a transaction');
    return changePosition(this.transaction, this.nextCommitIdx++);
  }

  private logicalMessage(message: Pgoutput.MessageMessage): readonly DecodedEvent[] {
    const annotation = parseTransactionAnnotationMessage(message.prefix, message.content);
    if (annotation === null || !message.transactional || this.transaction === null) {
      return [
        {
          kind: 'message',
          prefix: message.prefix,
          content: message.content,
          transactional: message.transactional,
          messageLsn: message.messageLsn === null ? null : lsnToBigInt(message.messageLsn),
          transaction: message.transactional ? this.transaction : null,
        },
      ];
    }
    const invalid = this.annotations.apply(annotation);
    this.transaction = { ...this.transaction, transactionAnnotations: this.annotations.value };
    return invalid ? [{ kind: 'annotation_warning', prefix: message.prefix, transaction: this.transaction }] : NONE;
  }
}

function toLsn(lsn: string | null): bigint {
  return lsn === null ? 0n : lsnToBigInt(lsn);
}
