import { buildChangeBody, type RowChange } from './change-body.js';
import type { JsonObject } from './message.js';
import { ORDERS } from './test-fixtures.js';

const ROW = { id: '42', tenant: 'acme', total: '199.99', note: 'hi', tags: '{a,b}', data: '{"x": 1}' };
const RECORD = { id: 42, tenant: 'acme', total: '199.99', note: 'hi', tags: ['a', 'b'], data: { x: 1 } };

interface Case {
  description: string;
  change: RowChange;
  record: JsonObject;
  changes: JsonObject | null;
  recordPks: string[];
  unchangedToastColumns?: string[];
}

const cases: Case[] = [
  {
    description: 'insert',
    change: { action: 'insert', new: ROW },
    record: RECORD,
    changes: null,
    recordPks: ['acme', '42'],
  },
  {
    description: 'read',
    change: { action: 'read', new: ROW },
    record: RECORD,
    changes: null,
    recordPks: ['acme', '42'],
  },
  {
    description: 'insert with NULLs',
    change: { action: 'insert', new: { ...ROW, note: null, data: null } },
    record: { ...RECORD, note: null, data: null },
    changes: null,
    recordPks: ['acme', '42'],
  },
  {
    description: 'update without the old row',
    change: { action: 'update', new: { ...ROW, total: '5.00' }, old: null },
    record: { ...RECORD, total: '5.00' },
    changes: {},
    recordPks: ['acme', '42'],
  },
  {
    description: 'update with only the old key (primary key changed, default replica identity)',
    change: { action: 'update', new: { ...ROW, id: '43' }, key: { id: '42', tenant: 'acme' } },
    record: { ...RECORD, id: 43 },
    changes: {},
    recordPks: ['acme', '43'],
  },
  {
    description: 'update with the old row: only differing columns, old values encoded',
    change: {
      action: 'update',
      new: { ...ROW, total: '5.00', note: null, data: '{"x": 2}' },
      old: ROW,
    },
    record: { ...RECORD, total: '5.00', note: null, data: { x: 2 } },
    changes: { total: '199.99', note: 'hi', data: { x: 1 } },
    recordPks: ['acme', '42'],
  },
  {
    description: 'update with the old row: NULL → value',
    change: { action: 'update', new: ROW, old: { ...ROW, note: null } },
    record: RECORD,
    changes: { note: null },
    recordPks: ['acme', '42'],
  },
  {
    description: 'update with the old row and nothing changed',
    change: { action: 'update', new: ROW, old: ROW },
    record: RECORD,
    changes: {},
    recordPks: ['acme', '42'],
  },
  {
    description: 'unchanged TOAST without the old row: left out of record and listed',
    change: { action: 'update', new: { ...ROW, note: undefined, tags: undefined }, old: null },
    record: { id: 42, tenant: 'acme', total: '199.99', data: { x: 1 } },
    changes: {},
    recordPks: ['acme', '42'],
    unchangedToastColumns: ['note', 'tags'],
  },
  {
    description: 'unchanged TOAST with the old row: the old value, not a change',
    change: { action: 'update', new: { ...ROW, total: '1', note: undefined }, old: ROW },
    record: { ...RECORD, total: '1' },
    changes: { total: '199.99' },
    recordPks: ['acme', '42'],
  },
  {
    description: 'delete with the old row',
    change: { action: 'delete', old: ROW },
    record: RECORD,
    changes: null,
    recordPks: ['acme', '42'],
  },
  {
    description: 'delete with only the key: other columns null',
    change: { action: 'delete', key: { id: '42', tenant: 'acme' } },
    record: { id: 42, tenant: 'acme', total: null, note: null, tags: null, data: null },
    changes: null,
    recordPks: ['acme', '42'],
  },
];

/** json columns hold their text (JsonText); compare what the values serialise to. */
const plain = (value: unknown): unknown => (value === null ? null : JSON.parse(JSON.stringify(value)));
describe('buildChangeBody', () => {
  it.each(cases)('$description', ({ change, record, changes, recordPks, unchangedToastColumns }) => {
    const body = buildChangeBody(ORDERS, change);
    expect(body.action).toBe(change.action);
    expect(plain(body.record)).toStrictEqual(record);
    expect(plain(body.changes)).toStrictEqual(changes);
    expect(body.recordPks).toStrictEqual(recordPks);
    expect(body.unchangedToastColumns).toStrictEqual(unchangedToastColumns ?? null);
  });

  it('keeps the record in column order', () => {
    const body = buildChangeBody(ORDERS, {
      action: 'insert',
      new: { data: 'null', tags: '{}', note: '', total: '0', tenant: 't', id: '1' },
    });
    expect(Object.keys(body.record)).toStrictEqual(['id', 'tenant', 'total', 'note', 'tags', 'data']);
  });

  it('names the primary key columns a change came without, and only those', () => {
    expect(buildChangeBody(ORDERS, { action: 'insert', new: ROW }).primaryKeyMissing).toBeNull();
    expect(
      buildChangeBody(ORDERS, { action: 'delete', key: { id: '42', tenant: 'acme' } }).primaryKeyMissing,
    ).toBeNull();
    // REPLICA IDENTITY USING INDEX on another unique index: the key row holds that index's columns.
    const byNote = buildChangeBody(ORDERS, { action: 'delete', key: { id: null, tenant: null, note: 'hi' } });
    expect(byNote.primaryKeyMissing).toStrictEqual(['tenant', 'id']);
    // A publication column list that leaves tenant out.
    const { tenant: _left, ...listed } = ROW;
    expect(buildChangeBody(ORDERS, { action: 'insert', new: listed }).primaryKeyMissing).toStrictEqual(['tenant']);
  });

  it('refuses an insert without its row', () => {
    expect(() => buildChangeBody(ORDERS, { action: 'insert' })).toThrow('needs its new row');
  });
});
