import { buildChangeBody, type RowChange } from './change-body.js';
import { buildMessage, buildTruncateMessage, changePosition } from './envelope.js';
import type { Message } from './message.js';
import { redisStreamFields, redisStreamFieldsOf } from './redis-stream.js';
import { redisStringKey, redisStringOperation, redisStringValue } from './redis-string.js';
import { compileTable } from './table-shape.js';
import { CONTEXT, ORDERS } from './test-fixtures.js';

const TRANSACTION = { commitLsn: 100n, commitTimestamp: '2026-11-23T10:00:00.000000Z', transactionAnnotations: null };
const ROW = { id: '42', tenant: 'acme', total: '1', note: 'n', tags: '{}', data: '{}' };

function message(change: RowChange, table = ORDERS): Message {
  return buildMessage(buildChangeBody(table, change), changePosition(TRANSACTION, 0), CONTEXT);
}

describe('redisStringKey', () => {
  const products = compileTable({
    schema: 'shop',
    name: 'products',
    columns: [
      { name: 'id', type: { oid: 23 } },
      { name: 'variant', type: { oid: 23 } },
    ],
    primaryKey: ['id', 'variant'],
  });
  const single = compileTable({
    schema: 'public',
    name: 'users',
    columns: [{ name: 'id', type: { oid: 2950 } }],
    primaryKey: ['id'],
  });
  const noPk = compileTable({
    schema: 'public',
    name: 'log',
    columns: [{ name: 'line', type: { oid: 25 } }],
    primaryKey: [],
  });

  it.each<[string, Message, string | null, string | null]>([
    [
      'composite',
      message({ action: 'insert', new: { id: '42', variant: '123' } }, products),
      'sequin:products:42-123',
      'sequin:shop.products:42:123',
    ],
    [
      'single',
      message({ action: 'insert', new: { id: 'u-1' } }, single),
      'sequin:users:u-1',
      'sequin:public.users:u-1',
    ],
    ['no primary key', message({ action: 'insert', new: { line: 'x' } }, noPk), null, null],
    [
      'delete by key',
      message({ action: 'delete', key: { id: '42', variant: '7' } }, products),
      'sequin:products:42-7',
      'sequin:shop.products:42:7',
    ],
  ])('%s', (_description, msg, sequin, qualified) => {
    expect(redisStringKey(msg, 'sequin')).toBe(sequin);
    expect(redisStringKey(msg, 'qualified')).toBe(qualified);
  });
});

describe('redisStringValue and redisStringOperation', () => {
  const insert = message({ action: 'insert', new: ROW });

  it('stores the whole message or the record', () => {
    expect(redisStringValue(insert, 'message')).toBe(JSON.stringify(insert));
    expect(redisStringValue(insert, 'record')).toBe(JSON.stringify(insert.record));
  });

  it.each<[string, Message, ReturnType<typeof redisStringOperation>]>([
    ['insert → SET', insert, { command: 'set', key: 'sequin:orders:acme-42', value: JSON.stringify(insert.record) }],
    [
      'update → SET',
      message({ action: 'update', new: ROW }),
      {
        command: 'set',
        key: 'sequin:orders:acme-42',
        value: JSON.stringify(message({ action: 'update', new: ROW }).record),
      },
    ],
    [
      'read → SET',
      message({ action: 'read', new: ROW }),
      {
        command: 'set',
        key: 'sequin:orders:acme-42',
        value: JSON.stringify(message({ action: 'read', new: ROW }).record),
      },
    ],
    [
      'delete → DEL',
      message({ action: 'delete', key: { id: '42', tenant: 'acme' } }),
      { command: 'del', key: 'sequin:orders:acme-42' },
    ],
    ['truncate → nothing', buildTruncateMessage(ORDERS, changePosition(TRANSACTION, 0), CONTEXT), { command: 'none' }],
  ])('%s', (_description, msg, operation) => {
    expect(redisStringOperation(msg, { keyFormat: 'sequin', value: 'record' })).toStrictEqual(operation);
  });
});

describe('redisStreamFields', () => {
  it('one field per top-level key, changes null as the string null', () => {
    const msg = message({ action: 'insert', new: ROW });
    expect(redisStreamFields(msg)).toStrictEqual([
      'record',
      JSON.stringify(msg.record),
      'changes',
      'null',
      'action',
      'insert',
      'metadata',
      JSON.stringify(msg.metadata),
    ]);
  });

  it('update changes as JSON', () => {
    const msg = message({ action: 'update', new: { ...ROW, total: '2' }, old: ROW });
    expect(redisStreamFields(msg).slice(2, 4)).toStrictEqual(['changes', '{"total":"1"}']);
  });

  it('read messages have no changes field', () => {
    const fields = redisStreamFields(message({ action: 'read', new: ROW }));
    expect(fields.filter((_, i) => i % 2 === 0)).toStrictEqual(['record', 'action', 'metadata']);
  });

  it('truncate', () => {
    const fields = redisStreamFields(buildTruncateMessage(ORDERS, changePosition(TRANSACTION, 0), CONTEXT));
    expect(fields.slice(0, 6)).toStrictEqual(['record', '{}', 'changes', 'null', 'action', 'truncate']);
  });

  it('encodes a transform result the same way', () => {
    expect(redisStreamFieldsOf({ id: 'x', n: 1, nested: { a: [1] }, none: null, skipped: undefined })).toStrictEqual([
      'id',
      'x',
      'n',
      '1',
      'nested',
      '{"a":[1]}',
      'none',
      'null',
    ]);
  });
});
