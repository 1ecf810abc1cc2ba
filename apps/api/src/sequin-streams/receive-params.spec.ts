import { BadRequestError } from '#core/errors/api-errors.js';
import { parseAckIds, parseReceiveParams } from './receive-params.js';

describe('parseReceiveParams', () => {
  it.each([
    [{}, undefined, { batchSize: 1, waitForMs: 0 }],
    [{ batch_size: '10' }, undefined, { batchSize: 10, waitForMs: 0 }],
    [{}, { max_batch_size: 1000 }, { batchSize: 1000, waitForMs: 0 }],
    [{ wait_for: '500ms' }, undefined, { batchSize: 1, waitForMs: 500 }],
    [{}, { wait_for: '60s' }, { batchSize: 1, waitForMs: 60_000 }],
    [{}, { wait_for: '5m' }, { batchSize: 1, waitForMs: 300_000 }],
    [{}, { wait_for: 2500 }, { batchSize: 1, waitForMs: 2500 }],
    [{ wait_for: '1000' }, { wait_for: 0 }, { batchSize: 1, waitForMs: 0 }],
  ])('%j %j → %j', (query, body, expected) => expect(parseReceiveParams(query, body)).toEqual(expected));

  it.each([
    [{ batch_size: '0' }],
    [{ batch_size: '1001' }],
    [{ batch_size: 'ten' }],
    [{ batch_size: '2', max_batch_size: '2' }],
    [{ wait_for: '499' }],
    [{ wait_for: '301s' }],
    [{ wait_for: '5h' }],
    [{ wait_for: '-5' }],
    [{ colour: 'red' }],
  ])('refuses %j with 400', (query) => expect(() => parseReceiveParams(query, undefined)).toThrow(BadRequestError));

  it('refuses wrong types in the body', () => {
    expect(() => parseReceiveParams({}, { batch_size: 1.5 })).toThrow(BadRequestError);
    expect(() => parseReceiveParams({}, { wait_for: true })).toThrow(BadRequestError);
    expect(() => parseReceiveParams({}, [1])).toThrow(BadRequestError);
  });
});

describe('parseAckIds', () => {
  const id = '6f1c8d6e-8a43-4c1f-9d55-0f3b7a7f1e2a';
  it('accepts a non-empty list of UUIDs', () => expect(parseAckIds({ ack_ids: [id] })).toEqual([id]));
  it.each([[{}], [{ ack_ids: [] }], [{ ack_ids: ['nope'] }], [{ ack_ids: id }], [null], [[id]]])(
    'refuses %j with 400',
    (body) => expect(() => parseAckIds(body)).toThrow(BadRequestError),
  );
  it('refuses another field as every body does: 422, "Unknown field: x"', () => {
    expect(() => parseAckIds({ ack_ids: [id], x: 1 })).toThrow(
      expect.objectContaining({ status: 422, summary: 'Unknown field: x', validationErrors: { x: ['unknown field'] } }),
    );
  });
});
