import type { ChangeBody } from '../messages/change-body.js';
import type { Message } from '../messages/message.js';
import { groupValuesKnown, RowGroupAffinity, rowKeyOf } from './row-group-affinity.js';

const messageOf = (id: string): Message =>
  ({ metadata: { table_schema: 'public', table_name: 't', record_pks: [id] } }) as unknown as Message;
const row = (id: string) => rowKeyOf('public', 't', [id]);

describe('RowGroupAffinity', () => {
  it("keeps a row's messages in its first group while any is undelivered, then lets it go", () => {
    const affinity = new RowGroupAffinity();
    expect(affinity.assign(row('1'), 'public.t:a', 'public.t:1')).toBe('public.t:a');
    expect(affinity.assign(row('1'), null, 'public.t:1')).toBe('public.t:a'); // unknown values: the row's group
    expect(affinity.assign(row('1'), 'public.t:b', 'public.t:1')).toBe('public.t:a'); // moved: still behind
    affinity.release(messageOf('1'));
    affinity.release(messageOf('1'));
    expect(affinity.assign(row('1'), 'public.t:b', 'public.t:1')).toBe('public.t:a');
    affinity.release(messageOf('1'));
    affinity.release(messageOf('1'));
    expect(affinity.assign(row('1'), 'public.t:b', 'public.t:1')).toBe('public.t:b');
  });

  it('gives a row with nothing undelivered and unknown values its key group; releases of unknown rows do nothing', () => {
    const affinity = new RowGroupAffinity();
    affinity.release(messageOf('9'));
    expect(affinity.assign(row('2'), null, 'public.t:2')).toBe('public.t:2');
  });
});

describe('groupValuesKnown', () => {
  const body = (fields: Partial<ChangeBody>) => fields as ChangeBody;
  it('knows a NULL of a full row, not one of a key-only delete, nor a value left out (unchanged TOAST)', () => {
    expect(groupValuesKnown(body({ row: { id: '1', tenant: null }, keyOnly: false }), ['tenant'])).toBe(true);
    expect(groupValuesKnown(body({ row: { id: '1', tenant: null }, keyOnly: true }), ['tenant'])).toBe(false);
    expect(groupValuesKnown(body({ row: { id: '1' }, keyOnly: true }), ['id'])).toBe(true);
    expect(groupValuesKnown(body({ row: { id: '1' }, keyOnly: false }), ['tenant'])).toBe(false);
  });
});
