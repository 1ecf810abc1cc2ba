import { readinessProblem, type SourceFacts } from './source-readiness.js';

const target = { publicationName: 'pub', slotName: 'slot' };
const ready: SourceFacts = {
  database: 'shop',
  username: 'app',
  walLevel: 'logical',
  canReplicate: true,
  publicationExists: true,
  slot: { database: 'shop', plugin: 'pgoutput', slotType: 'logical' },
};
const problemOf = (facts: Partial<SourceFacts>, allowMissing = {}) =>
  readinessProblem({ ...ready, ...facts }, target, allowMissing)?.problem ?? null;

describe('readinessProblem', () => {
  it('accepts a logical server, a replicating user, the publication and a pgoutput slot of the same database', () => {
    expect(problemOf({})).toBeNull();
  });

  it('refuses a server whose wal_level is not logical, on hostname', () => {
    expect(problemOf({ walLevel: 'replica' })).toEqual({
      field: 'hostname',
      reason: 'wal_level is "replica" on this server; logical replication needs wal_level = logical',
      timedOut: false,
    });
  });

  it('refuses a user that is neither superuser nor REPLICATION, on username', () => {
    expect(problemOf({ canReplicate: false })).toMatchObject({
      field: 'username',
      reason: expect.stringContaining('"app" may not replicate'),
    });
  });

  it('refuses a missing publication or slot unless it is about to be created', () => {
    expect(problemOf({ publicationExists: false })).toMatchObject({
      field: 'publication_name',
      reason: 'publication "pub" does not exist in database "shop"',
    });
    expect(problemOf({ slot: null })).toMatchObject({
      field: 'slot_name',
      reason: 'slot "slot" does not exist in database "shop"',
    });
    expect(problemOf({ publicationExists: false, slot: null }, { publication: true, slot: true })).toBeNull();
  });

  it('says precisely what is wrong with a slot that exists', () => {
    expect(problemOf({ slot: { database: 'other', plugin: 'pgoutput', slotType: 'logical' } })).toMatchObject({
      field: 'slot_name',
      reason: 'slot "slot" belongs to database "other", not to "shop"',
    });
    expect(problemOf({ slot: { database: null, plugin: null, slotType: 'physical' } })).toMatchObject({
      reason: 'slot "slot" is a physical slot; a logical pgoutput slot is needed',
    });
    expect(problemOf({ slot: { database: 'shop', plugin: 'test_decoding', slotType: 'logical' } })).toMatchObject({
      reason: 'slot "slot" uses the "test_decoding" plugin; it must use "pgoutput"',
    });
  });

  it('does not let "create if missing" hide a slot of another database', () => {
    const slot = { database: 'other', plugin: 'pgoutput', slotType: 'logical' as const };
    expect(problemOf({ slot }, { slot: true })).toMatchObject({ field: 'slot_name' });
  });
});
