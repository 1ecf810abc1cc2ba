import type { ScalarKind } from './builtin-types.js';
import { parseInterval } from './interval.js';
import { encodeDate, encodeTimestamp, encodeTimestamptz } from './timestamp.js';

/** Encodes one non-NULL value from Postgres' text form. */
export type TextEncoder = (text: string) => unknown;

const encodeText: TextEncoder = (text) => text;

const encodeBool: TextEncoder = (text) => (text === 't' ? true : text === 'f' ? false : text);

const encodeInt: TextEncoder = (text) => Number(text);

const encodeFloat: TextEncoder = (text) =>
  text === 'NaN' || text === 'Infinity' || text === '-Infinity' ? text : Number(text);

/** Up to 15 digits is always within 2^53 − 1; longer values are checked exactly. */
const encodeInt8: TextEncoder = (text) => {
  const digits = text.charCodeAt(0) === 0x2d ? text.length - 1 : text.length;
  if (digits <= 15) return Number(text);
  const value = BigInt(text);
  return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : text;
};
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * money as an exact decimal string (`"1234.56"`), as messages.md has it. The session pins
 * lc_monetary to C (see REPLICATION_SESSION_OPTIONS), whose form is `$1,234.56` / `-$1,234.56`;
 * anything else (the pin lost on the way, e.g. by a pooler) is kept as Postgres wrote it rather than
 * read in a form it may not be in (`$1.234` is a thousand in some locales).
 */
const encodeMoney: TextEncoder = (text) => (MONEY_C_LOCALE.test(text) ? text.replace(/[$,]/g, '') : text);
const MONEY_C_LOCALE = /^-?\$\d{1,3}(,\d{3})*\.\d{2}$/;

const encodeJson: TextEncoder = (text) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

const encodeInterval: TextEncoder = (text) => parseInterval(text) ?? text;

export const SCALAR_ENCODERS: Readonly<Record<ScalarKind, TextEncoder>> = {
  bool: encodeBool,
  int: encodeInt,
  float: encodeFloat,
  int8: encodeInt8,
  money: encodeMoney,
  text: encodeText,
  json: encodeJson,
  timestamptz: encodeTimestamptz,
  timestamp: encodeTimestamp,
  date: encodeDate,
  interval: encodeInterval,
};
