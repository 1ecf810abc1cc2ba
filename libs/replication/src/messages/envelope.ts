import type { ChangeBody } from './change-body.js';
import { backfillIdempotencyKey, changeIdempotencyKey } from './idempotency-key.js';
import type { ConsumerMetadata, DatabaseMetadata, JsonObject, Message, MessageMetadata } from './message.js';

/** Where a change sits in the source's history; shared by every sink's message for that change. */
export interface ChangePosition {
  readonly commitLsn: bigint;
  readonly commitIdx: number;
  /** ISO-8601 UTC with microseconds, see formatCommitTimestamp. */
  readonly commitTimestamp: string;
  readonly transactionAnnotations: JsonObject | null;
  readonly idempotencyKey: string;
}

export interface TransactionInfo {
  readonly commitLsn: bigint;
  readonly commitTimestamp: string;
  readonly transactionAnnotations: JsonObject | null;
}

export function changePosition(
  transaction: TransactionInfo,
  commitIdx: number,
  idempotencyKey = changeIdempotencyKey(transaction.commitLsn, commitIdx),
): ChangePosition {
  return {
    commitLsn: transaction.commitLsn,
    commitIdx,
    commitTimestamp: transaction.commitTimestamp,
    transactionAnnotations: transaction.transactionAnnotations,
    idempotencyKey,
  };
}

/** A backfill read: positioned at its watermark, keyed by backfill and primary key. */
export function backfillReadPosition(
  watermark: TransactionInfo,
  commitIdx: number,
  backfillId: string,
  recordPks: readonly string[],
): ChangePosition {
  return changePosition(watermark, commitIdx, backfillIdempotencyKey(backfillId, recordPks));
}

/** The per-sink part of the metadata, built once per sink (and rebuilt when the sink changes). */
export interface SinkMessageContext {
  readonly consumer: ConsumerMetadata;
  readonly database: DatabaseMetadata;
  readonly databaseName: string;
}

export interface SinkIdentity {
  id: string;
  name: string;
  annotations: JsonObject;
}

export interface DatabaseIdentity {
  id: string;
  name: string;
  annotations: JsonObject;
  database: string;
  hostname: string;
}

export function sinkMessageContext(sink: SinkIdentity, database: DatabaseIdentity): SinkMessageContext {
  return {
    consumer: { id: sink.id, name: sink.name, annotations: sink.annotations },
    database: {
      id: database.id,
      name: database.name,
      annotations: database.annotations,
      database: database.database,
      hostname: database.hostname,
    },
    databaseName: database.name,
  };
}

/** record and changes are shared with the body, not copied: treat messages as immutable. */
export function buildMessage(body: ChangeBody, position: ChangePosition, context: SinkMessageContext): Message {
  const metadata = metadataOf(body.table, body.recordPks, position, context);
  if (body.unchangedToastColumns !== null) metadata.unchanged_toast_columns = body.unchangedToastColumns;
  const message: Message = { record: body.record, changes: body.changes, action: body.action, metadata };
  if (body.primaryKeyMissing !== null) message.primaryKeyMissing = body.primaryKeyMissing;
  return message;
}

export interface TableName {
  readonly schema: string;
  readonly name: string;
}

/** One message per truncated table; give each its own commitIdx so idempotency keys stay unique. */
export function buildTruncateMessage(table: TableName, position: ChangePosition, context: SinkMessageContext): Message {
  return { record: {}, changes: null, action: 'truncate', metadata: metadataOf(table, [], position, context) };
}

function metadataOf(
  table: TableName,
  recordPks: string[],
  position: ChangePosition,
  context: SinkMessageContext,
): MessageMetadata {
  return {
    table_schema: table.schema,
    table_name: table.name,
    commit_timestamp: position.commitTimestamp,
    commit_lsn: Number(position.commitLsn),
    commit_idx: position.commitIdx,
    idempotency_key: position.idempotencyKey,
    record_pks: recordPks,
    transaction_annotations: position.transactionAnnotations,
    consumer: context.consumer,
    database: context.database,
    database_name: context.databaseName,
  };
}
