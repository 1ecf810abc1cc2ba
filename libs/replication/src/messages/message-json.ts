import { JsonText } from '../encoding/json-text.js';
import type { Message, MessageMetadata } from './message.js';

/**
 * JSON of messages, what JSON.stringify gives (json / jsonb values as Postgres wrote them), without
 * re-serialising on every message what does not change: a sink's consumer / database metadata is the
 * same object for all its messages (serialised once per sink), and a change's record is shared by
 * every sink it goes to (serialised once per change, whichever sink asks first).
 *
 * For records and changes, the objects serialised last and their JSON: every sink builds its payload
 * for a change right after the previous sink did, so the record and changes of the change at hand
 * are among the last few. (A WeakMap entry per record cost ≈10 times this lookup.)
 */
const RECENT = 4;
const recentObjects: Array<object | null> = new Array(RECENT).fill(null);
const recentJson: string[] = new Array(RECENT).fill('');
let nextRecent = 0;

/** JSON of an object that is never mutated once built (records, changes, a sink's context parts). */
export function frozenJson(value: object | null): string {
  if (value === null) return 'null';
  for (let i = 0; i < RECENT; i++) if (recentObjects[i] === value) return recentJson[i]!;
  const json = flat(hasJsonText(value) ? jsonWithJsonText(value) : JSON.stringify(value)); // JSON.stringify's result is a rope too
  recentObjects[nextRecent] = value;
  recentJson[nextRecent] = json;
  nextRecent = (nextRecent + 1) % RECENT;
  return json;
}

function hasJsonText(value: object): boolean {
  for (const key in value) if ((value as Record<string, unknown>)[key] instanceof JsonText) return true;
  return false;
}

/** `"<key>":` of record keys, built once per key. */
const keyPrefixes = new Map<string, string>();

/** What JSON.stringify gives for a record (or changes) with json columns, their text embedded as it is. */
function jsonWithJsonText(value: object): string {
  let json = '';
  for (const key in value) {
    const field = (value as Record<string, unknown>)[key];
    let text: string | undefined;
    if (field instanceof JsonText) text = field.text;
    else if (field === null) text = 'null';
    else if ((text = JSON.stringify(field)) === undefined) continue; // undefined, functions, symbols: left out
    let prefix = keyPrefixes.get(key);
    if (prefix === undefined) keyPrefixes.set(key, (prefix = `${JSON.stringify(key)}:`));
    json += (json === '' ? '{' : ',') + prefix + text;
  }
  return json === '' ? '{}' : `${json}}`;
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
  return flat(metadataText(m));
}

/** The metadata's JSON, not yet flattened (inside a message's JSON it is flattened once, with the rest). */
function metadataText(m: MessageMetadata): string {
  // commit_timestamp (ISO digits) and idempotency_key (base64) never need escaping.
  const pks = JSON.stringify(m.record_pks);
  const annotations = m.transaction_annotations === null ? 'null' : JSON.stringify(m.transaction_annotations);
  const toast =
    m.unchanged_toast_columns === undefined
      ? ''
      : `,"unchanged_toast_columns":${JSON.stringify(m.unchanged_toast_columns)}`;
  return (
    `${tablePrefix(m.table_schema, m.table_name)}${m.commit_timestamp}","commit_lsn":${m.commit_lsn}` +
    `,"commit_idx":${m.commit_idx},"idempotency_key":"${m.idempotency_key}","record_pks":${pks}` +
    `,"transaction_annotations":${annotations}${contextSuffix(m)}${toast}}`
  );
}

export function messageJson(message: Message): string {
  return flat(
    `{"record":${frozenJson(message.record)},"changes":${frozenJson(message.changes)}` +
      `,"action":"${message.action}","metadata":${metadataText(message.metadata)}}`,
  );
}
