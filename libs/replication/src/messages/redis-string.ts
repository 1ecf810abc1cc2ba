import type { Message } from './message.js';
import { flat, frozenJson, messageJson } from './message-json.js';

export type RedisStringKeyFormat = 'sequin' | 'qualified';
export type RedisStringValueMode = 'message' | 'record';

/**
 * `sequin:<table>:<pk1>-<pk2>` (Sequin's format) or `sequin:<schema>.<table>:<pk1>:<pk2>` (qualified);
 * null when the table has no primary key.
 */
export function redisStringKey(message: Message, format: RedisStringKeyFormat): string | null {
  const { table_schema: schema, table_name: table, record_pks: pks } = message.metadata;
  if (pks.length === 0) return null;
  return flat(
    format === 'qualified' ? `sequin:${schema}.${table}:${pks.join(':')}` : `sequin:${table}:${pks.join('-')}`,
  );
}

export function redisStringValue(message: Message, mode: RedisStringValueMode): string {
  return mode === 'record' ? frozenJson(message.record) : messageJson(message);
}

export type RedisStringOperation =
  | { command: 'set'; key: string; value: string }
  | { command: 'del'; key: string }
  /** Truncate (Redis String sinks delete nothing) or a table without a primary key (no key to write). */
  | { command: 'none' }
  /** The change came without (part of) its primary key: its key cannot be named, the message fails visibly. */
  | { command: 'refuse'; error: string };

export interface RedisStringDestination {
  keyFormat: RedisStringKeyFormat;
  value: RedisStringValueMode;
}

/** The command for a message without a transform: SET for insert/update/read, DEL for delete. */
export function redisStringOperation(message: Message, destination: RedisStringDestination): RedisStringOperation {
  if (message.action === 'truncate') return { command: 'none' };
  if (message.primaryKeyMissing !== undefined) return { command: 'refuse', error: missingKeyError(message) };
  const key = redisStringKey(message, destination.keyFormat);
  if (key === null) return { command: 'none' };
  if (message.action === 'delete') return { command: 'del', key };
  return { command: 'set', key, value: redisStringValue(message, destination.value) };
}

function missingKeyError(message: Message): string {
  const { table_schema: schema, table_name: table } = message.metadata;
  return (
    `this ${message.action} of ${schema}.${table} came without its primary key column(s) ` +
    `${message.primaryKeyMissing!.join(', ')}, so its Redis key cannot be named: a delete under REPLICA IDENTITY ` +
    'USING INDEX carries only that index, and a publication column list may leave the key out. Set REPLICA ' +
    'IDENTITY DEFAULT or FULL (and publish the key), then discard this message and backfill the table'
  );
}
