import type { Message } from './message.js';
import { frozenJson, metadataJson } from './message-json.js';

/**
 * XADD field/value pairs: one field per top-level key, strings as they are, everything else as JSON
 * (`changes: null` → `"null"`). Read messages carry no `changes` field.
 */
export function redisStreamFields(message: Message): string[] {
  const fields = ['record', frozenJson(message.record)];
  if (message.action !== 'read') fields.push('changes', frozenJson(message.changes));
  fields.push('action', message.action, 'metadata', metadataJson(message.metadata));
  return fields;
}

/** The same rule for any object, e.g. what a transform returned; undefined values are left out. */
export function redisStreamFieldsOf(value: Readonly<Record<string, unknown>>): string[] {
  const fields: string[] = [];
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined) continue;
    fields.push(key, typeof field === 'string' ? field : JSON.stringify(field));
  }
  return fields;
}
