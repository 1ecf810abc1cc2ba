/**
 * A table with a column of every type of the encoding table (messages.md), and one row of values
 * that exercise the edge cases. Shared by the decoding test and the backfill test, which checks that
 * a row read by a backfill encodes exactly as the same row decoded from pgoutput.
 */
export const EVERYTHING_TABLE_SQL = `
  CREATE TYPE mood AS ENUM ('happy', 'sad', 'so-so');
  CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);
  CREATE DOMAIN big_id AS bigint;

  CREATE TABLE everything (
    id bigint PRIMARY KEY,
    c_bool boolean, c_int2 smallint, c_int4 integer, c_oid oid,
    c_float4 real, c_float8 double precision, c_float8_nan double precision, c_float8_inf double precision,
    c_float4_ninf real,
    c_int8 bigint, c_int8_big bigint, c_int8_min bigint,
    c_numeric numeric, c_numeric_nan numeric, c_money money,
    c_text text, c_varchar varchar(10), c_char char(5), c_uuid uuid, c_inet inet, c_cidr cidr,
    c_macaddr macaddr, c_xml xml, c_bit bit(3), c_varbit varbit, c_tsvector tsvector, c_point point, c_box box,
    c_int4range int4range, c_tstzrange tstzrange,
    c_json json, c_jsonb jsonb, c_bytea bytea,
    c_timestamptz timestamptz, c_timestamptz_inf timestamptz, c_timestamptz_ninf timestamptz,
    c_timestamptz_bc timestamptz, c_timestamp timestamp, c_timestamp_ninf timestamp,
    c_date date, c_date_bc date, c_time time, c_timetz timetz,
    c_interval interval, c_interval_neg interval,
    c_mood mood, c_positive positive_int, c_big_id big_id,
    c_int_2d integer[], c_text_arr text[], c_timestamptz_arr timestamptz[], c_jsonb_arr jsonb[],
    c_mood_arr mood[], c_positive_arr positive_int[], c_numeric_arr numeric[], c_interval_arr interval[],
    c_bool_arr boolean[], c_bytea_arr bytea[], c_box_arr box[], c_date_arr date[], c_int8_arr bigint[],
    c_null text
  );
`;

export const EVERYTHING_VALUES_SQL = `
  INSERT INTO everything VALUES (
    1,
    true, -32768, 2147483647, 4294967295,
    0.1, 0.1::float8 + 0.2::float8, 'NaN', 'Infinity',
    '-Infinity',
    -9007199254740991, 9007199254740993, -9223372036854775808,
    123456789012345678901234567890.123456789012345678901234567890, 'NaN', 12.5,
    'héllo "world"', 'short', 'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1/24', '10.0.0.0/8',
    '08:00:2b:01:02:03', '<a>1</a>', B'101', B'1101', 'b:2 a:1', '(1,2)', '((0,0),(1,1))',
    '[1,10)', '[2026-01-01 00:00:00+00,infinity)',
    '{"b": 1, "a": [1, 2]}', '{"b": {"c": [1, "x", null, true]}, "a": 1.50}', '\\x00ff10',
    '2026-11-23 10:00:00.123456+05:30', 'infinity', '-infinity',
    '0044-03-15 12:00:00+00 BC', '2026-11-23 10:00:00.5', '-infinity',
    '2026-11-23', '0044-03-15 BC', '10:00:00.000001', '10:00:00+05:30',
    '1 year 2 months 3 days 04:05:06.789', '-1 year -2 months +3 days -04:05:06',
    'so-so', 5, 9223372036854775807,
    '{{1,2},{3,NULL}}', ARRAY['a b', 'q"u', 'b\\s', '', 'NULL', NULL, '{x}'], ARRAY['2026-11-23 10:00:00+00'::timestamptz, 'infinity'],
    ARRAY['{"a": [1]}'::jsonb, 'null'::jsonb, NULL],
    '{happy,sad}', '{1,2}', '{1.10,NaN}', ARRAY['1 day'::interval, '-00:00:01.5'],
    '{t,f,NULL}', ARRAY['\\x00'::bytea, '\\xff'], ARRAY['((0,0),(1,1))'::box, '((2,2),(3,3))'], '[0:1]={2026-01-01,2026-01-02}',
    '{1,9007199254740993}',
    NULL
  )`;
