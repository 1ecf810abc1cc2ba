import {
  parseTransactionAnnotationMessage,
  TransactionAnnotations,
  type TransactionAnnotationMessage,
} from './transaction-annotations.js';

describe('parseTransactionAnnotationMessage', () => {
  it.each<[string, string, TransactionAnnotationMessage | null]>([
    ['sluice:transaction_annotations.set', '{"a":1}', { kind: 'set', annotations: { a: 1 }, invalid: false }],
    [
      'sequin:transaction_annotations.set',
      '{"user":{"id":7}}',
      { kind: 'set', annotations: { user: { id: 7 } }, invalid: false },
    ],
    ['sluice:transaction_annotations.set', '{}', { kind: 'set', annotations: {}, invalid: false }],
    ['sluice:transaction_annotations.set', 'not json', { kind: 'set', annotations: null, invalid: true }],
    ['sluice:transaction_annotations.set', '[1,2]', { kind: 'set', annotations: null, invalid: true }],
    ['sluice:transaction_annotations.set', '"text"', { kind: 'set', annotations: null, invalid: true }],
    ['sluice:transaction_annotations.set', 'null', { kind: 'set', annotations: null, invalid: true }],
    ['sluice:transaction_annotations.set', '', { kind: 'set', annotations: null, invalid: true }],
    ['sluice:transaction_annotations.clear', '', { kind: 'clear' }],
    ['sequin:transaction_annotations.clear', 'ignored', { kind: 'clear' }],
    ['sluice:transaction_annotations', '{"a":1}', null],
    ['sluice:watermark', '{"a":1}', null],
    ['SLUICE:transaction_annotations.set', '{"a":1}', null],
  ])('%s %j', (prefix, content, expected) => {
    expect(parseTransactionAnnotationMessage(prefix, content)).toStrictEqual(expected);
    expect(parseTransactionAnnotationMessage(prefix, new TextEncoder().encode(content))).toStrictEqual(expected);
  });
});

describe('TransactionAnnotations', () => {
  it('sets, replaces, clears and resets', () => {
    const state = new TransactionAnnotations();
    expect(state.value).toBeNull();
    expect(state.apply({ kind: 'set', annotations: { a: 1 }, invalid: false })).toBe(false);
    expect(state.value).toStrictEqual({ a: 1 });
    expect(state.apply({ kind: 'set', annotations: { b: 2 }, invalid: false })).toBe(false);
    expect(state.value).toStrictEqual({ b: 2 });
    expect(state.apply({ kind: 'set', annotations: null, invalid: true })).toBe(true);
    expect(state.value).toBeNull();
    state.apply({ kind: 'set', annotations: { c: 3 }, invalid: false });
    expect(state.apply({ kind: 'clear' })).toBe(false);
    expect(state.value).toBeNull();
    state.apply({ kind: 'set', annotations: { d: 4 }, invalid: false });
    state.reset();
    expect(state.value).toBeNull();
  });
});
