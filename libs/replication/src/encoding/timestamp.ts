import { civilFromDays, daysFromCivil, formatIsoYear } from './civil-date.js';

// Postgres' output with DateStyle=ISO: `2026-11-23 10:00:00.123456+00`, `0044-03-15 12:00:00+00 BC`,
// offsets `+05:30` or `+05:53:28` when the session's TimeZone is not UTC.
const TIMESTAMP_PATTERN =
  /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?)?( BC)?$/;
const DATE_PATTERN = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/;
const SECONDS_PER_DAY = 86_400;

/** `timestamptz` → `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC; text that is not ISO DateStyle is kept as is. */
export function encodeTimestamptz(text: string): string {
  const utc = utcFastPath(text);
  if (utc !== null) return utc;
  if (text === 'infinity' || text === '-infinity') return text;
  const match = TIMESTAMP_PATTERN.exec(text);
  if (match === null || match[8] === undefined) return text;
  const offsetSeconds =
    (match[8] === '-' ? -1 : 1) * (Number(match[9]) * 3600 + Number(match[10] ?? 0) * 60 + Number(match[11] ?? 0));
  let year = isoYear(match[1]!, match[12]);
  let month = Number(match[2]);
  let day = Number(match[3]);
  let clock = `${match[4]}:${match[5]}:${match[6]}`;
  if (offsetSeconds !== 0) {
    const local = daysFromCivil(year, month, day) * SECONDS_PER_DAY + secondsOfDay(match);
    const utc = local - offsetSeconds;
    const days = Math.floor(utc / SECONDS_PER_DAY);
    ({ year, month, day } = civilFromDays(days));
    clock = formatClock(utc - days * SECONDS_PER_DAY);
  }
  return `${formatIsoYear(year)}-${pad2(month)}-${pad2(day)}T${clock}.${fraction(match[7])}Z`;
}

const FRACTION_PADDING = ['', '0', '00', '000', '0000', '00000'];

/**
 * The common case, `2026-11-23 10:00:00+00` with up to six fraction digits (a four-digit year AD, a
 * UTC session), already holds every digit of the output: no parsing needed, the fraction is padded.
 * Null for anything else.
 */
function utcFastPath(text: string): string | null {
  const length = text.length;
  if (
    length < 22 ||
    length > 29 ||
    length === 23 ||
    text.charCodeAt(4) !== 0x2d ||
    text.charCodeAt(7) !== 0x2d ||
    text.charCodeAt(10) !== 0x20 ||
    text.charCodeAt(13) !== 0x3a ||
    text.charCodeAt(16) !== 0x3a ||
    text.charCodeAt(length - 3) !== 0x2b ||
    text.charCodeAt(length - 2) !== 0x30 ||
    text.charCodeAt(length - 1) !== 0x30
  ) {
    return null;
  }
  if (length === 22) return `${text.slice(0, 10)}T${text.slice(11, 19)}.000000Z`;
  if (text.charCodeAt(19) !== 0x2e) return null;
  return `${text.slice(0, 10)}T${text.slice(11, length - 3)}${FRACTION_PADDING[29 - length]}Z`;
}

/** `timestamp` → `YYYY-MM-DDTHH:MM:SS.ffffff`; text that is not ISO DateStyle is kept as is. */
export function encodeTimestamp(text: string): string {
  if (text === 'infinity' || text === '-infinity') return text;
  const match = TIMESTAMP_PATTERN.exec(text);
  if (match === null || match[8] !== undefined) return text;
  const date = `${formatIsoYear(isoYear(match[1]!, match[12]))}-${match[2]}-${match[3]}`;
  return `${date}T${match[4]}:${match[5]}:${match[6]}.${fraction(match[7])}`;
}

/** `date` → `YYYY-MM-DD`, BC dates in astronomical numbering (`0044-03-15 BC` → `-0043-03-15`). */
export function encodeDate(text: string): string {
  const match = DATE_PATTERN.exec(text);
  if (match === null || match[4] === undefined) return text;
  return `${formatIsoYear(isoYear(match[1]!, match[4]))}-${match[2]}-${match[3]}`;
}

/** Postgres prints `0044 … BC`; ISO 8601 counts 1 BC as year 0. */
function isoYear(digits: string, bc: string | undefined): number {
  const year = Number(digits);
  return bc === undefined ? year : 1 - year;
}

function secondsOfDay(match: RegExpExecArray): number {
  return Number(match[4]) * 3600 + Number(match[5]) * 60 + Number(match[6]);
}

function formatClock(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return `${pad2(hours)}:${pad2(minutes)}:${pad2(seconds % 60)}`;
}

function fraction(digits: string | undefined): string {
  return digits === undefined ? '000000' : digits.padEnd(6, '0');
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}
