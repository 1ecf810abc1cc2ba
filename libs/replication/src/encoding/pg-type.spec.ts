import { resolveType, type PgTypeInfo, type ResolvedType } from './pg-type.js';

describe('resolveType', () => {
  const types = new Map<number, PgTypeInfo>([
    [20000, { oid: 20000, name: 'self_loop', baseOid: 20000 }],
    [20001, { oid: 20001, name: 'loop_a', baseOid: 20002 }],
    [20002, { oid: 20002, name: 'loop_b', baseOid: 20001 }],
    [20003, { oid: 20003, name: 'semi', delimiter: ';' }],
    [20004, { oid: 20004, name: '_semi', elementOid: 20003 }],
  ]);
  const lookup = (oid: number): PgTypeInfo | undefined => types.get(oid);

  it.each<[string, PgTypeInfo, ResolvedType]>([
    ['int4', { oid: 23 }, { kind: 'int' }],
    ['text', { oid: 25 }, { kind: 'text' }],
    ['numeric keeps text', { oid: 1700 }, { kind: 'text' }],
    ['int4[]', { oid: 1007 }, { kind: 'array', element: { kind: 'int' }, delimiter: ',' }],
    ['box[] delimiter', { oid: 1020 }, { kind: 'array', element: { kind: 'text' }, delimiter: ';' }],
    ['user array with own delimiter', { oid: 20004 }, { kind: 'array', element: { kind: 'text' }, delimiter: ';' }],
    ['self-referencing domain ends as text', { oid: 20000 }, { kind: 'text' }],
    ['domain cycle ends as text', { oid: 20001 }, { kind: 'text' }],
    ['unknown', { oid: 123456 }, { kind: 'text' }],
  ])('%s', (_description, type, expected) => {
    expect(resolveType(type, lookup)).toStrictEqual(expected);
  });
});
