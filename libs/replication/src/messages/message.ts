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
  /**
   * Primary key columns the change came without (see ChangeBody). Not in what sinks receive (messageJson
   * writes the envelope's fields only); kept in a parked message's stored JSON so that a redelivery,
   * which rebuilds its payload from it, refuses it again; the messages API leaves it out.
   */
  primaryKeyMissing?: readonly string[];
}
