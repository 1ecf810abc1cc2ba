import type { Pgoutput } from 'pg-logical-replication';
import { PgoutputTransactionDecoder, type DecodedEvent } from './transaction-decoder.js';

const RELATION: Pgoutput.MessageRelation = {
  tag: 'relation',
  relationOid: 16384,
  schema: 'public',
  name: 'orders',
  replicaIdentity: 'default',
  columns: [
    { name: 'id', flags: 1, typeOid: 23, typeMod: -1, typeSchema: null, typeName: null, parser: (raw: unknown) => raw },
  ],
  keyColumns: ['id'],
};
const OTHER: Pgoutput.MessageRelation = { ...RELATION, relationOid: 16390, name: 'items' };

// 2026-11-23T10:00:00.123456Z in microseconds since the Unix epoch, as the library gives it.
const COMMIT_TIME = 1795428000123456n;

function begin(lsn = '00000000/075BCD15'): Pgoutput.MessageBegin {
  return { tag: 'begin', commitLsn: lsn, commitTime: COMMIT_TIME, xid: 7 };
}
const commit: Pgoutput.MessageCommit = {
  tag: 'commit',
  flags: 0,
  commitLsn: '00000000/075BCD15',
  commitEndLsn: '00000000/075BCD45',
  commitTime: COMMIT_TIME,
};
const insert = (id: string): Pgoutput.MessageInsert => ({ tag: 'insert', relation: RELATION, new: { id } });
const message = (prefix: string, content: string, transactional = true): Pgoutput.MessageMessage => ({
  tag: 'message',
  flags: transactional ? 1 : 0,
  transactional,
  messageLsn: '00000000/00000010',
  prefix,
  content: new TextEncoder().encode(content),
});

function decodeAll(messages: Pgoutput.Message[]): DecodedEvent[] {
  const decoder = new PgoutputTransactionDecoder();
  return messages.flatMap((m) => [...decoder.decode(m)]);
}

function rows(events: DecodedEvent[]) {
  return events.flatMap((event) => (event.kind === 'row' || event.kind === 'truncate' ? [event] : []));
}

describe('PgoutputTransactionDecoder', () => {
  it('positions changes by commit LSN, microsecond commit time and commit_idx', () => {
    const events = decodeAll([RELATION, begin(), insert('1'), insert('2'), commit]);
    expect(events[0]).toStrictEqual({ kind: 'relation', relation: RELATION });
    expect(rows(events).map((event) => event.position)).toStrictEqual([
      {
        commitLsn: 123456789n,
        commitIdx: 0,
        commitTimestamp: '2026-11-23T10:00:00.123456Z',
        transactionAnnotations: null,
        idempotencyKey: 'MTIzNDU2Nzg5OjA=',
      },
      {
        commitLsn: 123456789n,
        commitIdx: 1,
        commitTimestamp: '2026-11-23T10:00:00.123456Z',
        transactionAnnotations: null,
        idempotencyKey: 'MTIzNDU2Nzg5OjE=',
      },
    ]);
    expect(events.at(-1)).toStrictEqual({ kind: 'commit', commitLsn: 123456789n, commitEndLsn: 123456837n });
  });

  it('restarts commit_idx for each transaction', () => {
    const events = decodeAll([begin(), insert('1'), commit, begin('00000000/0000FFFF'), insert('2'), commit]);
    expect(rows(events).map((event) => [event.position.commitLsn, event.position.commitIdx])).toStrictEqual([
      [123456789n, 0],
      [65535n, 0],
    ]);
  });

  it('passes update and delete tuples through', () => {
    const update: Pgoutput.MessageUpdate = {
      tag: 'update',
      relation: RELATION,
      key: null,
      old: { id: '1' },
      new: { id: '1' },
    };
    const del: Pgoutput.MessageDelete = { tag: 'delete', relation: RELATION, key: { id: '1' }, old: null };
    const [updated, deleted] = rows(decodeAll([begin(), update, del, commit]));
    expect(updated).toMatchObject({
      kind: 'row',
      change: { action: 'update', new: { id: '1' }, old: { id: '1' }, key: null },
    });
    expect(deleted).toMatchObject({ kind: 'row', change: { action: 'delete', old: null, key: { id: '1' } } });
  });

  it('gives every truncated table its own commit_idx', () => {
    const truncate: Pgoutput.MessageTruncate = {
      tag: 'truncate',
      cascade: false,
      restartIdentity: false,
      relations: [RELATION, OTHER],
    };
    const events = rows(decodeAll([begin(), insert('1'), truncate, commit]));
    expect(events.map((event) => [event.kind, event.relation.name, event.position.commitIdx])).toStrictEqual([
      ['row', 'orders', 0],
      ['truncate', 'orders', 1],
      ['truncate', 'items', 2],
    ]);
  });

  it('applies transaction annotations to later changes of the transaction only', () => {
    const events = decodeAll([
      begin(),
      insert('1'),
      message('sluice:transaction_annotations.set', '{"a":1}'),
      insert('2'),
      message('sequin:transaction_annotations.set', '{"b":2}'),
      insert('3'),
      message('sluice:transaction_annotations.clear', ''),
      insert('4'),
      message('sluice:transaction_annotations.set', '{"c":3}'),
      commit,
      begin(),
      insert('5'),
      commit,
    ]);
    expect(rows(events).map((event) => event.position.transactionAnnotations)).toStrictEqual([
      null,
      { a: 1 },
      { b: 2 },
      null,
      null,
    ]);
  });

  it('reports invalid annotations and sets them to null', () => {
    const events = decodeAll([
      begin(),
      message('sluice:transaction_annotations.set', '{"a":1}'),
      message('sluice:transaction_annotations.set', '{oops'),
      insert('1'),
      commit,
    ]);
    expect(events.filter((event) => event.kind === 'annotation_warning')).toHaveLength(1);
    expect(rows(events)[0]!.position.transactionAnnotations).toBeNull();
  });

  it('passes other logical messages on, e.g. watermarks', () => {
    const events = decodeAll([
      message('sluice:watermark', 'page-1', false),
      begin(),
      message('sluice:watermark', 'page-2'),
      commit,
    ]);
    const messages = events.flatMap((event) => (event.kind === 'message' ? [event] : []));
    expect(
      messages.map((m) => [m.prefix, new TextDecoder().decode(m.content), m.transactional, m.messageLsn]),
    ).toStrictEqual([
      ['sluice:watermark', 'page-1', false, 16n],
      ['sluice:watermark', 'page-2', true, 16n],
    ]);
    expect(messages[0]!.transaction).toBeNull();
    expect(messages[1]!.transaction?.commitLsn).toBe(123456789n);
  });

  it('ignores a non-transactional annotation message', () => {
    const events = decodeAll([
      begin(),
      message('sluice:transaction_annotations.set', '{"a":1}', false),
      insert('1'),
      commit,
    ]);
    expect(rows(events)[0]!.position.transactionAnnotations).toBeNull();
  });

  it('refuses a change outside a transaction', () => {
    expect(() => decodeAll([insert('1')])).toThrow('outside a transaction');
  });
});
