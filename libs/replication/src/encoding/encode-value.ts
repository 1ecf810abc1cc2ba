import { parseArrayLiteral, type ArrayLiteral } from './array-literal.js';
import { JsonText } from './json-text.js';
import { resolveType, type PgTypeInfo, type ResolvedType, type TypeLookup } from './pg-type.js';
import { SCALAR_ENCODERS, type TextEncoder } from './scalar-encoders.js';

/** Encodes a value of pgoutput's text form (null for SQL NULL) as messages.md's JSON value. */
export type ValueEncoder = (text: string | null) => unknown;

/** Compile once per column (per Relation message), then call per value. */
export function encoderFor(type: PgTypeInfo, lookup?: TypeLookup): ValueEncoder {
  return encoderForResolved(resolveType(type, lookup));
}

export function encodeValue(text: string | null, type: PgTypeInfo, lookup?: TypeLookup): unknown {
  return text === null ? null : textEncoderFor(resolveType(type, lookup))(text);
}

const nullable = new WeakMap<ResolvedType, ValueEncoder>();

export function encoderForResolved(type: ResolvedType): ValueEncoder {
  let encoder = nullable.get(type);
  if (encoder === undefined) {
    const encodeText = textEncoderFor(type);
    encoder = (text) => (text === null ? null : encodeText(text));
    nullable.set(type, encoder);
  }
  return encoder;
}

/** A json / jsonb column keeps its text (see JsonText); array elements are parsed like any element. */
const encodeJsonColumn: TextEncoder = (text) => new JsonText(text);

function textEncoderFor(type: ResolvedType): TextEncoder {
  if (type.kind === 'json') return encodeJsonColumn;
  return elementEncoderFor(type);
}

function elementEncoderFor(type: ResolvedType): TextEncoder {
  if (type.kind !== 'array') return SCALAR_ENCODERS[type.kind];
  const encodeElement = elementEncoderFor(type.element);
  const { delimiter } = type;
  return (text) => {
    const literal = parseArrayLiteral(text, delimiter);
    return literal === null ? text : encodeElements(literal, encodeElement);
  };
}

function encodeElements(items: ArrayLiteral, encodeElement: TextEncoder): unknown[] {
  const encoded = new Array<unknown>(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    encoded[i] =
      item === null ? null : typeof item === 'string' ? encodeElement(item) : encodeElements(item, encodeElement);
  }
  return encoded;
}
