export interface EncodedInterval {
  months: number;
  days: number;
  /** A string when beyond ±(2^53 − 1), like int8: never a silently rounded number. */
  microseconds: number | string;
}

const UNIT_PATTERN = /^([+-]?\d+) (years?|mons?|days?)$/;
const CLOCK_PATTERN = /^([+-]?)(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;
const MAX_SAFE_HOURS = 2_000_000; // hours × 3.6e9 µs stays below 2^53

/**
 * Parses IntervalStyle=postgres output (`1 year 2 mons -3 days +04:05:06.5`); each field carries its
 * own sign. Returns null for any other form.
 */
export function parseInterval(text: string): EncodedInterval | null {
  let months = 0;
  let days = 0;
  let microseconds: number | string = 0;
  const tokens = text.split(' ');
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const clock = CLOCK_PATTERN.exec(token);
    if (clock !== null) {
      microseconds = clockMicroseconds(clock);
      continue;
    }
    const unit = UNIT_PATTERN.exec(`${token} ${tokens[i + 1] ?? ''}`);
    if (unit === null) return null;
    i++;
    const amount = Number(unit[1]);
    const name = unit[2]!;
    if (name.startsWith('year')) months += amount * 12;
    else if (name.startsWith('mon')) months += amount;
    else days += amount;
  }
  return { months, days, microseconds };
}

function clockMicroseconds(clock: RegExpExecArray): number | string {
  const negative = clock[1] === '-';
  const hoursText = clock[2]!;
  const fraction = Number((clock[5] ?? '').padEnd(6, '0'));
  const secondsOfHour = Number(clock[3]) * 60 + Number(clock[4]);
  const hours = Number(hoursText);
  if (hours <= MAX_SAFE_HOURS) {
    const magnitude = (hours * 3600 + secondsOfHour) * 1_000_000 + fraction;
    return negative ? -magnitude : magnitude;
  }
  const magnitude = (BigInt(hoursText) * 3600n + BigInt(secondsOfHour)) * 1_000_000n + BigInt(fraction);
  const value = negative ? -magnitude : magnitude;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}
