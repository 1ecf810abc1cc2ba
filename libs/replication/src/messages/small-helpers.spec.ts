import { formatCommitTimestamp } from './commit-timestamp.js';
import { backfillIdempotencyKey, changeIdempotencyKey } from './idempotency-key.js';

describe('formatCommitTimestamp', () => {
  it.each([
    [0n, '1970-01-01T00:00:00.000000Z'],
    [1n, '1970-01-01T00:00:00.000001Z'],
    [1795428000123456n, '2026-11-23T10:00:00.123456Z'],
    [1795428000000000n, '2026-11-23T10:00:00.000000Z'],
    [946684799999999n, '1999-12-31T23:59:59.999999Z'],
    [-1n, '1969-12-31T23:59:59.999999Z'],
  ])('%s µs → %s', (micros, text) => {
    expect(formatCommitTimestamp(micros)).toBe(text);
  });
});

describe('idempotency keys', () => {
  it.each([
    [123456789n, 0, 'MTIzNDU2Nzg5OjA='],
    [0n, 0, Buffer.from('0:0').toString('base64')],
    [18446744073709551615n, 12, Buffer.from('18446744073709551615:12').toString('base64')],
  ])('change %s:%i', (lsn, idx, key) => {
    expect(changeIdempotencyKey(lsn, idx)).toBe(key);
    expect(changeIdempotencyKey(lsn, idx)).toBe(changeIdempotencyKey(lsn, idx));
  });

  it.each([
    ['bf', ['42'], 'bf:42'],
    ['bf', ['acme', '42'], 'bf:acme:42'],
    ['bf', [], 'bf:'],
  ])('backfill %s %j', (backfillId, pks, plain) => {
    expect(Buffer.from(backfillIdempotencyKey(backfillId, pks), 'base64').toString()).toBe(plain);
  });
});
