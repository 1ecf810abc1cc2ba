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
    json = flat(JSON.stringify(value)); // V8's JSON.stringify returns a concatenation too
    objectJson.set(value, json);
  }
  return json;
}

let _flattened = 0;

/**
 * The same string, flattened now. V8 keeps a concatenation as a tree of its parts until something
 * reads it; a payload is read when its batch is sent, thousands of messages later, when the parts are
 * out of the CPU cache, and flattening it then cost ≈2 µs per message (the biggest item of the Redis
 * Stream delivery's profile). Reading a character flattens it while the parts are fresh.
 */
export function flat(text: string): string {
  _flattened ^= text.charCodeAt(text.length >> 1); // kept in a variable so the read is not optimised away
  return text;
}

/** `{"table_schema":…,"table_name":…,"commit_timestamp":"` of a table, built once per table. */
const tablePrefixes = new Map<string, Map<string, string>>();

function tablePrefix(schema: string, table: string): string {
  let tables = tablePrefixes.get(schema);
  if (tables === undefined) tablePrefixes.set(schema, (tables = new Map()));
  let prefix = tables.get(table);
  if (prefix === undefined) {
    prefix = flat(
      `{"table_schema":${JSON.stringify(schema)},"table_name":${JSON.stringify(table)},"commit_timestamp":"`,
    );
    tables.set(table, prefix);
  }
  return prefix;
}

/**
 * `,"consumer":…,"database":…,"database_name":…` of a sink, built once per sink: its message context
 * (consumer and database objects together) is built anew whenever the sink changes.
 */
const contextSuffixes = new WeakMap<object, string>();

function contextSuffix(m: MessageMetadata): string {
  let suffix = contextSuffixes.get(m.consumer);
  if (suffix === undefined) {
    suffix = flat(
      `,"consumer":${frozenJson(m.consumer)},"database":${frozenJson(m.database)}` +
        `,"database_name":${JSON.stringify(m.database_name)}`,
    );
    contextSuffixes.set(m.consumer, suffix);
  }
  return suffix;
}

export function metadataJson(m: MessageMetadata): string {
  // commit_timestamp (ISO digits) and idempotency_key (base64) never need escaping.
  const pks = m.record_pks.length === 1 ? `[${JSON.stringify(m.record_pks[0])}]` : JSON.stringify(m.record_pks);
  const annotations = m.transaction_annotations === null ? 'null' : JSON.stringify(m.transaction_annotations);
  const toast =
    m.unchanged_toast_columns === undefined
      ? ''
      : `,"unchanged_toast_columns":${JSON.stringify(m.unchanged_toast_columns)}`;
  return flat(
    `${tablePrefix(m.table_schema, m.table_name)}${m.commit_timestamp}","commit_lsn":${m.commit_lsn}` +
      `,"commit_idx":${m.commit_idx},"idempotency_key":"${m.idempotency_key}","record_pks":${pks}` +
      `,"transaction_annotations":${annotations}${contextSuffix(m)}${toast}}`,
  );
}

export function messageJson(message: Message): string {
  return flat(
    `{"record":${frozenJson(message.record)},"changes":${frozenJson(message.changes)}` +
      `,"action":"${message.action}","metadata":${metadataJson(message.metadata)}}`,
  );
}
