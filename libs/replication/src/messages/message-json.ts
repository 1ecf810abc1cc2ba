import type { Message, MessageMetadata } from './message.js';

/**
 * JSON of messages, byte for byte what JSON.stringify gives, without re-serialising on every
 * message what does not change: a sink's consumer / database metadata is the same object for all
 * its messages (serialised once per object), and a change's record is shared by every sink it goes
 * to (serialised once per change, whichever sink asks first).
 */
const objectJson = new WeakMap<object, string>();

/** JSON of an object that is never mutated once built (records, changes, a sink's context parts). */
export function frozenJson(value: object | null): string {
  if (value === null) return 'null';
  let json = objectJson.get(value);
  if (json === undefined) {
    json = JSON.stringify(value);
    objectJson.set(value, json);
  }
  return json;
}

export function metadataJson(m: MessageMetadata): string {
  // commit_timestamp (ISO digits) and idempotency_key (base64) never need escaping.
  let json =
    `{"table_schema":${JSON.stringify(m.table_schema)},"table_name":${JSON.stringify(m.table_name)}` +
    `,"commit_timestamp":"${m.commit_timestamp}","commit_lsn":${m.commit_lsn},"commit_idx":${m.commit_idx}` +
    `,"idempotency_key":"${m.idempotency_key}","record_pks":${JSON.stringify(m.record_pks)}` +
    `,"transaction_annotations":${m.transaction_annotations === null ? 'null' : JSON.stringify(m.transaction_annotations)}` +
    `,"consumer":${frozenJson(m.consumer)},"database":${frozenJson(m.database)},"database_name":${JSON.stringify(m.database_name)}`;
  if (m.unchanged_toast_columns !== undefined) {
    json += `,"unchanged_toast_columns":${JSON.stringify(m.unchanged_toast_columns)}`;
  }
  return `${json}}`;
}

export function messageJson(message: Message): string {
  return (
    `{"record":${frozenJson(message.record)},"changes":${frozenJson(message.changes)}` +
    `,"action":"${message.action}","metadata":${metadataJson(message.metadata)}}`
  );
}
