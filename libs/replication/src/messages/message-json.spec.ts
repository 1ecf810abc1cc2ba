import { buildChangeBody, type RowChange } from './change-body.js';
import {
  backfillReadPosition,
  buildMessage,
  buildTruncateMessage,
  changePosition,
  sinkMessageContext,
} from './envelope.js';
import { messageJson, metadataJson } from './message-json.js';
import { CONTEXT, ORDERS } from './test-fixtures.js';

const ROW = {
  id: '42',
  tenant: 'ac"me ✓',
  total: '5.10',
  note: 'a\nb\\c',
  tags: '{x,"y z"}',
  data: '{"k": [1, null]}',
};

const changes: RowChange[] = [
  { action: 'insert', new: ROW },
  { action: 'update', new: { ...ROW, total: '6' }, old: ROW },
  { action: 'update', new: ROW },
  { action: 'update', new: { ...ROW, note: undefined } },
  { action: 'delete', key: { id: '42', tenant: 'ac"me ✓' } },
  { action: 'read', new: ROW },
];

describe('messageJson', () => {
  const odd = sinkMessageContext(
    { id: 'c0ffee00-0000-4000-8000-000000000009', name: 'sink "quoted" ✓', annotations: { nested: { a: [1, 'b'] } } },
    { id: 'db', name: 'dbname\u2028', annotations: {}, database: 'd', hostname: 'h' },
  );
  const transactions = [
    { commitLsn: 123456789n, commitTimestamp: '2026-11-23T10:00:00.123456Z', transactionAnnotations: null },
    { commitLsn: 9n, commitTimestamp: '2026-01-01T00:00:00.000000Z', transactionAnnotations: { 'we"ird': 'ü\u0001' } },
  ];

  // JSON.stringify gives a json column's parsed value re-serialised; messageJson its text from Postgres.
  const withJsonAsWritten = (json: string): string =>
    json.replaceAll('"data":{"k":[1,null]}', '"data":{"k": [1, null]}');

  it.each(changes.map((change) => [change.action, change] as const))(
    'is JSON.stringify of the message, byte for byte, json values as Postgres wrote them (%s)',
    (_action, change) => {
      for (const context of [CONTEXT, odd]) {
        for (const transaction of transactions) {
          const body = buildChangeBody(ORDERS, change);
          const position =
            change.action === 'read'
              ? backfillReadPosition(transaction, 3, 'b-1', body.recordPks)
              : changePosition(transaction, 7);
          const message = buildMessage(body, position, context);
          expect(messageJson(message)).toBe(withJsonAsWritten(JSON.stringify(message)));
          expect(JSON.parse(messageJson(message))).toEqual(JSON.parse(JSON.stringify(message)));
          expect(metadataJson(message.metadata)).toBe(JSON.stringify(message.metadata));
        }
      }
    },
  );

  it('is JSON.stringify of a truncate message', () => {
    const message = buildTruncateMessage(ORDERS, changePosition(transactions[0]!, 0), CONTEXT);
    expect(messageJson(message)).toBe(JSON.stringify(message));
  });

  it('keeps a json value exact where a parse would round it', () => {
    const body = buildChangeBody(ORDERS, { action: 'insert', new: { ...ROW, data: '{"n": 12345678901234567890.10}' } });
    const message = buildMessage(body, changePosition(transactions[0]!, 0), CONTEXT);
    expect(messageJson(message)).toContain('"data":{"n": 12345678901234567890.10}');
    expect(JSON.stringify(message.record)).toContain('"data":{"n":12345678901234567000}');
  });
});
