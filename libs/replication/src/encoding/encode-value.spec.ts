import { JsonText } from './json-text.js';
import { encodeValue, encoderFor } from './encode-value.js';
import type { PgTypeInfo, TypeLookup } from './pg-type.js';

const OID = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  xml: 142,
  point: 600,
  box: 603,
  cidr: 650,
  float4: 700,
  float8: 701,
  money: 790,
  macaddr: 829,
  inet: 869,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  bit: 1560,
  numeric: 1700,
  uuid: 2950,
  tsvector: 3614,
  jsonb: 3802,
  int4range: 3904,
  int4multirange: 4451,
  int2vector: 22,
  boolArray: 1000,
  byteaArray: 1001,
  int2Array: 1005,
  int4Array: 1007,
  textArray: 1009,
  int8Array: 1016,
  boxArray: 1020,
  float8Array: 1022,
  timestampArray: 1115,
  dateArray: 1182,
  timestamptzArray: 1185,
  intervalArray: 1187,
  numericArray: 1231,
  uuidArray: 2951,
  jsonArray: 199,
  jsonbArray: 3807,
  int4rangeArray: 3905,
} as const;

type Case = [description: string, text: string | null, oid: number, expected: unknown];

function runCases(cases: Case[], lookup?: TypeLookup): void {
  /** A json column's value is its text, standing for the parsed value (see JsonText). */
  const parsed = (value: unknown): unknown => (value instanceof JsonText ? value.toJSON() : value);

  it.each(cases)('%s', (_description, text, oid, expected) => {
    expect(parsed(encodeValue(text, { oid }, lookup))).toStrictEqual(expected);
    expect(parsed(encoderFor({ oid }, lookup)(text))).toStrictEqual(expected);
  });
}

describe('encodeValue: scalars', () => {
  runCases([
    ['NULL of any type', null, OID.int4, null],
    ['NULL json stays null (not the JSON null literal)', null, OID.jsonb, null],
    ['bool true', 't', OID.bool, true],
    ['bool false', 'f', OID.bool, false],
    ['int2', '-32768', OID.int2, -32768],
    ['int4', '2147483647', OID.int4, 2147483647],
    ['oid', '4294967295', OID.oid, 4294967295],
    ['float4', '0.1', OID.float4, 0.1],
    ['float8 exponent', '1.5e+300', OID.float8, 1.5e300],
    ['float8 tiny', '1e-07', OID.float8, 1e-7],
    ['float8 negative zero', '-0', OID.float8, -0],
    ['float8 NaN', 'NaN', OID.float8, 'NaN'],
    ['float4 Infinity', 'Infinity', OID.float4, 'Infinity'],
    ['float8 -Infinity', '-Infinity', OID.float8, '-Infinity'],
    ['int8 small', '42', OID.int8, 42],
    ['int8 15 digits', '-999999999999999', OID.int8, -999999999999999],
    ['int8 max safe', '9007199254740991', OID.int8, 9007199254740991],
    ['int8 min safe', '-9007199254740991', OID.int8, -9007199254740991],
    ['int8 max safe + 1 → string', '9007199254740992', OID.int8, '9007199254740992'],
    ['int8 min safe − 1 → string', '-9007199254740992', OID.int8, '-9007199254740992'],
    ['int8 max', '9223372036854775807', OID.int8, '9223372036854775807'],
    ['int8 min', '-9223372036854775808', OID.int8, '-9223372036854775808'],
    ['numeric exact', '199.99', OID.numeric, '199.99'],
    [
      'numeric many digits',
      '123456789012345678901234567890.123456789',
      OID.numeric,
      '123456789012345678901234567890.123456789',
    ],
    ['numeric NaN', 'NaN', OID.numeric, 'NaN'],
    ['money', '$12.50', OID.money, '12.50'],
    ['money with thousands, negative', '-$1,234,567.89', OID.money, '-1234567.89'],
    ['money in a form other than lc_monetary C keeps its text', '1.234,56 €', OID.money, '1.234,56 €'],
    ['money with a dot for thousands (another locale) keeps its text', '$1.234', OID.money, '$1.234'],
    ['text', 'hello', OID.text, 'hello'],
    ['text empty', '', OID.text, ''],
    ['varchar', 'v', OID.varchar, 'v'],
    ['bpchar keeps padding', 'ab  ', OID.bpchar, 'ab  '],
    ['"char"', 'x', OID.char, 'x'],
    ['name', 'pg_class', OID.name, 'pg_class'],
    ['uuid', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', OID.uuid, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    ['inet', '192.168.0.1/24', OID.inet, '192.168.0.1/24'],
    ['cidr', '10.0.0.0/8', OID.cidr, '10.0.0.0/8'],
    ['macaddr', '08:00:2b:01:02:03', OID.macaddr, '08:00:2b:01:02:03'],
    ['xml', '<a>1</a>', OID.xml, '<a>1</a>'],
    ['bit', '101', OID.bit, '101'],
    ['tsvector', "'a':1 'b':2", OID.tsvector, "'a':1 'b':2"],
    ['point', '(1,2)', OID.point, '(1,2)'],
    ['range', '[1,10)', OID.int4range, '[1,10)'],
    ['multirange', '{[1,3),[5,7)}', OID.int4multirange, '{[1,3),[5,7)}'],
    ['int2vector is a string', '1 2', OID.int2vector, '1 2'],
    ['unknown user type', 'happy', 16500, 'happy'],
    ['json object', '{"b":1, "a":[1,2,{"c":null}]}', OID.json, { b: 1, a: [1, 2, { c: null }] }],
    ['jsonb scalar string', '"x"', OID.jsonb, 'x'],
    ['jsonb null literal', 'null', OID.jsonb, null],
    ['jsonb number', '1.5', OID.jsonb, 1.5],
    ['bytea hex', '\\x00ff', OID.bytea, '\\x00ff'],
    ['bytea empty', '\\x', OID.bytea, '\\x'],
  ]);
});

describe('encodeValue: dates and times', () => {
  runCases([
    ['timestamptz micro', '2026-11-23 10:00:00.123456+00', OID.timestamptz, '2026-11-23T10:00:00.123456Z'],
    ['timestamptz no fraction', '2026-11-23 10:00:00+00', OID.timestamptz, '2026-11-23T10:00:00.000000Z'],
    ['timestamptz short fraction', '2026-11-23 10:00:00.5+00', OID.timestamptz, '2026-11-23T10:00:00.500000Z'],
    ['timestamptz three fraction digits', '2026-11-23 10:00:00.125+00', OID.timestamptz, '2026-11-23T10:00:00.125000Z'],
    [
      'timestamptz five fraction digits',
      '2026-11-23 10:00:00.12345+00',
      OID.timestamptz,
      '2026-11-23T10:00:00.123450Z',
    ],
    ['timestamptz offset +00:30', '2026-11-23 10:00:00+00:30', OID.timestamptz, '2026-11-23T09:30:00.000000Z'],
    ['timestamptz positive offset', '2026-11-23 04:30:00.1+05:30', OID.timestamptz, '2026-11-22T23:00:00.100000Z'],
    ['timestamptz negative offset', '2026-12-31 22:00:00-03', OID.timestamptz, '2027-01-01T01:00:00.000000Z'],
    [
      'timestamptz LMT offset with seconds',
      '1850-01-01 00:00:00+00:53:28',
      OID.timestamptz,
      '1849-12-31T23:06:32.000000Z',
    ],
    ['timestamptz leap day', '2024-02-29 23:30:00-01', OID.timestamptz, '2024-03-01T00:30:00.000000Z'],
    ['timestamptz BC', '0044-03-15 12:00:00+00 BC', OID.timestamptz, '-0043-03-15T12:00:00.000000Z'],
    ['timestamptz 1 BC is year 0', '0001-12-31 23:00:00+00 BC', OID.timestamptz, '0000-12-31T23:00:00.000000Z'],
    [
      'timestamptz BC with offset crossing into AD',
      '0001-12-31 23:00:00-02 BC',
      OID.timestamptz,
      '0001-01-01T01:00:00.000000Z',
    ],
    ['timestamptz oldest', '4713-11-24 00:00:00+00 BC', OID.timestamptz, '-4712-11-24T00:00:00.000000Z'],
    ['timestamptz newest', '294276-12-31 23:59:59.999999+00', OID.timestamptz, '294276-12-31T23:59:59.999999Z'],
    ['timestamptz infinity', 'infinity', OID.timestamptz, 'infinity'],
    ['timestamptz -infinity', '-infinity', OID.timestamptz, '-infinity'],
    [
      'timestamptz in another DateStyle is kept',
      'Mon Nov 23 10:00:00 2026 UTC',
      OID.timestamptz,
      'Mon Nov 23 10:00:00 2026 UTC',
    ],
    ['timestamp', '2026-11-23 10:00:00.123456', OID.timestamp, '2026-11-23T10:00:00.123456'],
    ['timestamp no fraction', '2026-11-23 10:00:00', OID.timestamp, '2026-11-23T10:00:00.000000'],
    ['timestamp BC', '0044-03-15 12:00:00.25 BC', OID.timestamp, '-0043-03-15T12:00:00.250000'],
    ['timestamp 5-digit year', '10000-01-01 00:00:00', OID.timestamp, '10000-01-01T00:00:00.000000'],
    ['timestamp infinity', 'infinity', OID.timestamp, 'infinity'],
    ['timestamp -infinity', '-infinity', OID.timestamp, '-infinity'],
    ['date', '2026-11-23', OID.date, '2026-11-23'],
    ['date BC', '0044-03-15 BC', OID.date, '-0043-03-15'],
    ['date infinity', 'infinity', OID.date, 'infinity'],
    ['time', '10:00:00', OID.time, '10:00:00'],
    ['time fraction', '10:00:00.123456', OID.time, '10:00:00.123456'],
    ['time 24:00', '24:00:00', OID.time, '24:00:00'],
    ['timetz', '10:00:00.5+05:30', OID.timetz, '10:00:00.5+05:30'],
  ]);
});

describe('encodeValue: interval', () => {
  runCases([
    ['zero', '00:00:00', OID.interval, { months: 0, days: 0, microseconds: 0 }],
    [
      'all fields',
      '1 year 2 mons 3 days 04:05:06.789',
      OID.interval,
      { months: 14, days: 3, microseconds: 14706789000 },
    ],
    [
      'mixed signs',
      '-1 years -2 mons +3 days -04:05:06',
      OID.interval,
      { months: -14, days: 3, microseconds: -14706000000 },
    ],
    [
      'all negative',
      '-1 years -2 mons -3 days -04:05:06',
      OID.interval,
      { months: -14, days: -3, microseconds: -14706000000 },
    ],
    ['negative fraction only', '-00:00:01.5', OID.interval, { months: 0, days: 0, microseconds: -1500000 }],
    ['one microsecond', '1 mon 00:00:00.000001', OID.interval, { months: 1, days: 0, microseconds: 1 }],
    ['singular units', '1 year 1 mon 1 day', OID.interval, { months: 13, days: 1, microseconds: 0 }],
    ['days with positive clock', '-1 days +00:00:01', OID.interval, { months: 0, days: -1, microseconds: 1000000 }],
    ['many hours', '100000:00:00', OID.interval, { months: 0, days: 0, microseconds: 360000000000000 }],
    ['huge years', '-178000000 years', OID.interval, { months: -2136000000, days: 0, microseconds: 0 }],
    [
      'max',
      '2147483647 days 2562047788:00:00',
      OID.interval,
      { months: 0, days: 2147483647, microseconds: '9223372036800000000' },
    ],
    ['min', '-2562047788:00:54.775808', OID.interval, { months: 0, days: 0, microseconds: '-9223372036854775808' }],
    ['other IntervalStyle kept as text', 'P1Y2M', OID.interval, 'P1Y2M'],
  ]);
});

describe('encodeValue: arrays', () => {
  runCases([
    ['empty', '{}', OID.int4Array, []],
    ['int4 with NULL', '{1,2,NULL}', OID.int4Array, [1, 2, null]],
    [
      '2-D',
      '{{1,2},{3,4}}',
      OID.int4Array,
      [
        [1, 2],
        [3, 4],
      ],
    ],
    [
      '3-D',
      '{{{1},{2}},{{3},{4}}}',
      OID.int2Array,
      [
        [[1], [2]],
        [[3], [4]],
      ],
    ],
    ['lower bound decoration', '[0:1]={1,2}', OID.int4Array, [1, 2]],
    ['2-D lower bound decoration', '[0:1][1:1]={{1},{2}}', OID.int4Array, [[1], [2]]],
    [
      'text quoting and escapes',
      '{"a b","q\\"u","b\\\\s","","null"," x",NULL,"NULL"}',
      OID.textArray,
      ['a b', 'q"u', 'b\\s', '', 'null', ' x', null, 'NULL'],
    ],
    ['text with braces and commas', '{"{x}","a,b"}', OID.textArray, ['{x}', 'a,b']],
    ['unquoted escaped NULL is a string', '{\\NULL}', OID.textArray, ['NULL']],
    ['bool', '{t,f,NULL}', OID.boolArray, [true, false, null]],
    ['int8 big', '{1,9223372036854775807}', OID.int8Array, [1, '9223372036854775807']],
    ['float8 specials', '{NaN,Infinity,-Infinity,1.5}', OID.float8Array, ['NaN', 'Infinity', '-Infinity', 1.5]],
    ['numeric', '{1.10,NaN}', OID.numericArray, ['1.10', 'NaN']],
    [
      'timestamptz',
      '{"2026-11-23 10:00:00.1+00",infinity}',
      OID.timestamptzArray,
      ['2026-11-23T10:00:00.100000Z', 'infinity'],
    ],
    ['timestamp', '{"2026-11-23 10:00:00"}', OID.timestampArray, ['2026-11-23T10:00:00.000000']],
    ['date BC', '{"0044-03-15 BC",2026-01-01}', OID.dateArray, ['-0043-03-15', '2026-01-01']],
    [
      'interval',
      '{"1 day","-00:00:01"}',
      OID.intervalArray,
      [
        { months: 0, days: 1, microseconds: 0 },
        { months: 0, days: 0, microseconds: -1000000 },
      ],
    ],
    ['jsonb', '{"{\\"a\\": [1]}",NULL,"[1, 2]"}', OID.jsonbArray, [{ a: [1] }, null, [1, 2]]],
    ['json', '{"{\\"a\\":1}"}', OID.jsonArray, [{ a: 1 }]],
    ['bytea', '{"\\\\x00ff"}', OID.byteaArray, ['\\x00ff']],
    ['uuid', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', OID.uuidArray, ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']],
    ['box uses ;', '{(3,4),(1,2);(1,1),(0,0)}', OID.boxArray, ['(3,4),(1,2)', '(1,1),(0,0)']],
    ['ranges', '{"[1,3)","[5,7)"}', OID.int4rangeArray, ['[1,3)', '[5,7)']],
    ['malformed kept as text', '{1,2', OID.int4Array, '{1,2'],
    ['trailing garbage kept as text', '{1}x', OID.int4Array, '{1}x'],
  ]);
});

describe('encodeValue: user types', () => {
  const userTypes = new Map<number, PgTypeInfo>([
    [16400, { oid: 16400, name: 'mood', delimiter: ',' }], // enum
    [16399, { oid: 16399, name: '_mood', elementOid: 16400 }],
    [16410, { oid: 16410, name: 'positive_int', baseOid: OID.int4 }], // domain over int4
    [16411, { oid: 16411, name: '_positive_int', elementOid: 16410 }],
    [16420, { oid: 16420, name: 'small_positive', baseOid: 16410 }], // domain over a domain
    [16430, { oid: 16430, name: 'tags', baseOid: OID.textArray }], // domain over text[]
    [16440, { oid: 16440, name: 'citext' }],
  ]);
  const lookup: TypeLookup = (oid) => userTypes.get(oid);
  runCases(
    [
      ['enum', 'happy', 16400, 'happy'],
      ['enum array', '{happy,sad}', 16399, ['happy', 'sad']],
      ['domain over int4', '5', 16410, 5],
      ['array of domain over int4', '{5,NULL}', 16411, [5, null]],
      ['domain over domain', '7', 16420, 7],
      ['domain over text[]', '{a,b}', 16430, ['a', 'b']],
      ['extension type', 'MiXeD', 16440, 'MiXeD'],
      ['not in the catalog', 'x', 99999, 'x'],
    ],
    lookup,
  );

  it('takes a base OID given directly by the caller', () => {
    expect(encodeValue('9007199254740993', { oid: 16500, baseOid: OID.int8 })).toBe('9007199254740993');
  });

  it('takes an element OID given directly by the caller', () => {
    expect(encodeValue('{1,2}', { oid: 16501, elementOid: OID.int4 })).toStrictEqual([1, 2]);
  });
});

describe('json columns', () => {
  it('keep the text Postgres wrote; the array elements of json arrays are parsed', () => {
    const value = encodeValue('{"a": [1, 2.50]}', { oid: 3802 });
    expect(value).toBeInstanceOf(JsonText);
    expect((value as JsonText).text).toBe('{"a": [1, 2.50]}');
    expect(JSON.stringify({ v: value })).toBe('{"v":{"a":[1,2.5]}}');
    expect(encodeValue('{"{\\"a\\": 1}"}', { oid: 3807 })).toStrictEqual([{ a: 1 }]);
  });
});
