/** The message envelope of spec/messages.md. Key order here is the key order of the JSON. */
export type RowAction = 'insert' | 'update' | 'delete' | 'read';
export type MessageAction = RowAction | 'truncate';

export type JsonObject = Record<string, unknown>;

export interface ConsumerMetadata {
  id: string;
  name: string;
  annotations: JsonObject;
}

export interface DatabaseMetadata {
  id: string;
  name: string;
  annotations: JsonObject;
  database: string;
  hostname: string;
}

export interface MessageMetadata {
  table_schema: string;
  table_name: string;
  commit_timestamp: string;
  commit_lsn: number;
  commit_idx: number;
  idempotency_key: string;
  record_pks: string[];
  transaction_annotations: JsonObject | null;
  consumer: ConsumerMetadata;
  database: DatabaseMetadata;
  database_name: string;
  /** Only present when an unchanged TOAST value could not be filled in from the old row. */
  unchanged_toast_columns?: string[];
}

export interface Message {
  record: JsonObject;
  changes: JsonObject | null;
  action: MessageAction;
  metadata: MessageMetadata;
  /** Not part of the JSON: primary key columns the change came without (see ChangeBody). */
  primaryKeyMissing?: readonly string[];
}

/** The message as the spec's envelope: what the messages API shows (stored messages keep primaryKeyMissing). */
export function envelopeOf(message: Message): Omit<Message, 'primaryKeyMissing'> {
  if (message.primaryKeyMissing === undefined) return message;
  const { primaryKeyMissing: _internal, ...envelope } = message;
  return envelope;
}
