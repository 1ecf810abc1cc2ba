import { buildChangeBody } from './change-body.js';
import {
  backfillReadPosition,
  buildMessage,
  buildTruncateMessage,
  changePosition,
  type TransactionInfo,
} from './envelope.js';
import { CONTEXT, ORDERS } from './test-fixtures.js';

const TRANSACTION: TransactionInfo = {
  commitLsn: 123456789n,
  commitTimestamp: '2026-11-23T10:00:00.123456Z',
  transactionAnnotations: { request_id: 'r1' },
};

const expectedMetadata = (commitIdx: number, idempotencyKey: string, recordPks: string[]) => ({
  table_schema: 'public',
  table_name: 'orders',
  commit_timestamp: '2026-11-23T10:00:00.123456Z',
  commit_lsn: 123456789,
  commit_idx: commitIdx,
  idempotency_key: idempotencyKey,
  record_pks: recordPks,
  transaction_annotations: { request_id: 'r1' },
  consumer: { id: 'c0ffee00-0000-4000-8000-000000000001', name: 'orders-sink', annotations: { team: 'a' } },
  database: {
    id: 'db000000-0000-4000-8000-000000000002',
    name: 'shop',
    annotations: { env: 'test' },
    database: 'shop_db',
    hostname: 'db.internal',
  },
  database_name: 'shop',
});

describe('buildMessage', () => {
  it('builds the exact envelope of messages.md, keys in order', () => {
    const body = buildChangeBody(ORDERS, {
      action: 'update',
      new: { id: '42', tenant: 'acme', total: '5', note: null, tags: '{}', data: '{}' },
      old: { id: '42', tenant: 'acme', total: '4', note: null, tags: '{}', data: '{}' },
    });
    const message = buildMessage(body, changePosition(TRANSACTION, 0), CONTEXT);
    expect(JSON.stringify(message)).toBe(
      JSON.stringify({
        record: { id: 42, tenant: 'acme', total: '5', note: null, tags: [], data: {} },
        changes: { total: '4' },
        action: 'update',
        metadata: expectedMetadata(0, 'MTIzNDU2Nzg5OjA=', ['acme', '42']),
      }),
    );
  });

  it('lists unchanged TOAST columns it could not fill in', () => {
    const body = buildChangeBody(ORDERS, {
      action: 'update',
      new: { id: '1', tenant: 't', total: '1', note: undefined, tags: '{}', data: '{}' },
    });
    const message = buildMessage(body, changePosition(TRANSACTION, 3), CONTEXT);
    expect(message.metadata.unchanged_toast_columns).toStrictEqual(['note']);
    expect(message.metadata.commit_idx).toBe(3);
    expect(message.metadata.idempotency_key).toBe(Buffer.from('123456789:3').toString('base64'));
    expect('note' in message.record).toBe(false);
  });

  it('leaves unchanged_toast_columns out when there are none', () => {
    const body = buildChangeBody(ORDERS, {
      action: 'insert',
      new: { id: '1', tenant: 't', total: '1', note: 'n', tags: '{}', data: '{}' },
    });
    expect('unchanged_toast_columns' in buildMessage(body, changePosition(TRANSACTION, 0), CONTEXT).metadata).toBe(
      false,
    );
  });

  it('shares the record between the messages of several sinks', () => {
    const body = buildChangeBody(ORDERS, {
      action: 'insert',
      new: { id: '1', tenant: 't', total: '1', note: 'n', tags: '{}', data: '{}' },
    });
    const position = changePosition(TRANSACTION, 0);
    expect(buildMessage(body, position, CONTEXT).record).toBe(buildMessage(body, position, CONTEXT).record);
  });

  it('builds backfill reads with the backfill idempotency key', () => {
    const body = buildChangeBody(ORDERS, {
      action: 'read',
      new: { id: '7', tenant: 't', total: '1', note: 'n', tags: '{}', data: '{}' },
    });
    const message = buildMessage(body, backfillReadPosition(TRANSACTION, 5, 'bf-1', body.recordPks), CONTEXT);
    expect(message.action).toBe('read');
    expect(message.changes).toBeNull();
    expect(message.metadata.idempotency_key).toBe(Buffer.from('bf-1:t:7').toString('base64'));
    expect(message.metadata.commit_idx).toBe(5);
  });
});

describe('buildTruncateMessage', () => {
  it('has an empty record, no changes and no primary key', () => {
    const message = buildTruncateMessage({ schema: 'public', name: 'orders' }, changePosition(TRANSACTION, 2), CONTEXT);
    expect(JSON.stringify(message)).toBe(
      JSON.stringify({
        record: {},
        changes: null,
        action: 'truncate',
        metadata: expectedMetadata(2, 'MTIzNDU2Nzg5OjI=', []),
      }),
    );
  });
});
