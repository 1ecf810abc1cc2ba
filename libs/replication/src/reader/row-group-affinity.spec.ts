import type { ChangeBody } from '../messages/change-body.js';
import { groupValuesKnown, RowGroupAffinity, rowKeyOf } from './row-group-affinity.js';

const row = (id: string) => rowKeyOf('public', 't', [id]);

describe('RowGroupAffinity', () => {
  it("keeps a row's messages in its first group while any is undelivered, then lets it go", () => {
    const affinity = new RowGroupAffinity();
    expect(affinity.assign(row('1'), 'k1', 'public.t:a', 'public.t:1')).toBe('public.t:a');
    expect(affinity.assign(row('1'), 'k2', null, 'public.t:1')).toBe('public.t:a'); // unknown values: the row's group
    expect(affinity.assign(row('1'), 'k3', 'public.t:b', 'public.t:1')).toBe('public.t:a'); // moved: still behind
    affinity.release('k1');
    affinity.release('k2');
    expect(affinity.assign(row('1'), 'k4', 'public.t:b', 'public.t:1')).toBe('public.t:a');
    affinity.release('k3');
    affinity.release('k4');
    expect(affinity.assign(row('1'), 'k5', 'public.t:b', 'public.t:1')).toBe('public.t:b');
  });

  it("counts only what it assigned: another session's message of the row, or a second release, changes nothing", () => {
    const affinity = new RowGroupAffinity();
    expect(affinity.assign(row('1'), 'k1', 'public.t:a', 'public.t:1')).toBe('public.t:a');
    expect(affinity.assign(row('1'), 'k2', null, 'public.t:1')).toBe('public.t:a');
    affinity.release('parked-by-an-earlier-session');
    affinity.release('k1');
    affinity.release('k1');
    expect(affinity.assign(row('1'), 'k3', 'public.t:b', 'public.t:1')).toBe('public.t:a'); // k2 is still out
  });

  it('counts a key pushed twice (a backfill page read again) until both are out, or discarded', () => {
    const affinity = new RowGroupAffinity();
    affinity.assign(row('1'), 'read', 'public.t:a', 'public.t:1');
    affinity.assign(row('1'), 'read', 'public.t:a', 'public.t:1');
    affinity.release('read');
    expect(affinity.assign(row('1'), 'k', 'public.t:b', 'public.t:1')).toBe('public.t:a');
    affinity.releaseAll('read');
    affinity.release('k');
    expect(affinity.assign(row('1'), 'k2', 'public.t:b', 'public.t:1')).toBe('public.t:b');
  });

  it('gives a row with nothing undelivered and unknown values its key group', () => {
    expect(new RowGroupAffinity().assign(row('2'), 'k', null, 'public.t:2')).toBe('public.t:2');
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
