import { LogicalReplicationService, type Pgoutput } from 'pg-logical-replication';
import { messageJson } from '../messages/message-json.js';
import type pg from 'pg';
import { createSourceDatabase, randomSuffix, type SourceDatabase } from '#testing/databases.js';
import { EVERYTHING_TABLE_SQL, EVERYTHING_VALUES_SQL } from '#testing/type-samples.js';
import { buildChangeBody } from '../messages/change-body.js';
import { buildMessage, buildTruncateMessage, sinkMessageContext } from '../messages/envelope.js';
import type { JsonObject, Message } from '../messages/message.js';
import { compileTable, type CompiledTable } from '../messages/table-shape.js';
import { RawTextPgoutputPlugin } from '../pgoutput/raw-text-pgoutput-plugin.js';
import { tableFromRelation } from '../pgoutput/relation-table.js';
import { REPLICATION_SESSION_OPTIONS } from '../pgoutput/session-options.js';
import { PgoutputTransactionDecoder } from '../pgoutput/transaction-decoder.js';
import { loadUserTypes, typeLookupFrom } from './user-type-catalog.js';

const CONTEXT = sinkMessageContext(
  { id: '00000000-0000-4000-8000-00000000000a', name: 'types-sink', annotations: { k: 'v' } },
  {
    id: '00000000-0000-4000-8000-00000000000b',
    name: 'source',
    annotations: {},
    database: 'src',
    hostname: 'localhost',
  },
);

const SCHEMA = `
  ${EVERYTHING_TABLE_SQL}

  CREATE TABLE full_identity (id int PRIMARY KEY, a text, b int, big text);
  ALTER TABLE full_identity REPLICA IDENTITY FULL;
  ALTER TABLE full_identity ALTER COLUMN big SET STORAGE EXTERNAL;

  CREATE TABLE toasted (id int PRIMARY KEY, big text, n int);
  ALTER TABLE toasted ALTER COLUMN big SET STORAGE EXTERNAL;

  CREATE TABLE measurements (id int, region text, v int, PRIMARY KEY (region, id)) PARTITION BY LIST (region);
  CREATE TABLE measurements_eu PARTITION OF measurements FOR VALUES IN ('eu');
  CREATE TABLE measurements_us PARTITION OF measurements FOR VALUES IN ('us');

  CREATE TABLE trunc_a (id int PRIMARY KEY);
  CREATE TABLE trunc_b (id int PRIMARY KEY);
  CREATE TABLE annotated (id int PRIMARY KEY);
  CREATE TABLE done (id int PRIMARY KEY);
`;

const EVERYTHING_RECORD: JsonObject = {
  id: 1,
  c_bool: true,
  c_int2: -32768,
  c_int4: 2147483647,
  c_oid: 4294967295,
  c_float4: 0.1,
  c_float8: 0.30000000000000004,
  c_float8_nan: 'NaN',
  c_float8_inf: 'Infinity',
  c_float4_ninf: '-Infinity',
  c_int8: -9007199254740991,
  c_int8_big: '9007199254740993',
  c_int8_min: '-9223372036854775808',
  c_numeric: '123456789012345678901234567890.123456789012345678901234567890',
  c_numeric_nan: 'NaN',
  c_money: '12.50',
  c_text: 'héllo "world"',
  c_varchar: 'short',
  c_char: 'ab   ',
  c_uuid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  c_inet: '192.168.0.1/24',
  c_cidr: '10.0.0.0/8',
  c_macaddr: '08:00:2b:01:02:03',
  c_xml: '<a>1</a>',
  c_bit: '101',
  c_varbit: '1101',
  c_tsvector: "'a':1 'b':2",
  c_point: '(1,2)',
  c_box: '(1,1),(0,0)',
  c_int4range: '[1,10)',
  c_tstzrange: '["2026-01-01 00:00:00+00",infinity)',
  c_json: { b: 1, a: [1, 2] },
  c_jsonb: { a: 1.5, b: { c: [1, 'x', null, true] } },
  c_bytea: '\\x00ff10',
  c_timestamptz: '2026-11-23T04:30:00.123456Z',
  c_timestamptz_inf: 'infinity',
  c_timestamptz_ninf: '-infinity',
  c_timestamptz_bc: '-0043-03-15T12:00:00.000000Z',
  c_timestamp: '2026-11-23T10:00:00.500000',
  c_timestamp_ninf: '-infinity',
  c_date: '2026-11-23',
  c_date_bc: '-0043-03-15',
  c_time: '10:00:00.000001',
  c_timetz: '10:00:00+05:30',
  c_interval: { months: 14, days: 3, microseconds: 14706789000 },
  c_interval_neg: { months: -14, days: 3, microseconds: -14706000000 },
  c_mood: 'so-so',
  c_positive: 5,
  c_big_id: '9223372036854775807',
  c_int_2d: [
    [1, 2],
    [3, null],
  ],
  c_text_arr: ['a b', 'q"u', 'b\\s', '', 'NULL', null, '{x}'],
  c_timestamptz_arr: ['2026-11-23T10:00:00.000000Z', 'infinity'],
  c_jsonb_arr: [{ a: [1] }, null, null],
  c_mood_arr: ['happy', 'sad'],
  c_positive_arr: [1, 2],
  c_numeric_arr: ['1.10', 'NaN'],
  c_interval_arr: [
    { months: 0, days: 1, microseconds: 0 },
    { months: 0, days: 0, microseconds: -1500000 },
  ],
  c_bool_arr: [true, false, null],
  c_bytea_arr: ['\\x00', '\\xff'],
  c_box_arr: ['(1,1),(0,0)', '(3,3),(2,2)'],
  c_date_arr: ['2026-01-01', '2026-01-02'],
  c_int8_arr: [1, '9007199254740993'],
  c_null: null,
};

const EVERYTHING_DELETED = Object.fromEntries(
  Object.keys(EVERYTHING_RECORD).map((key) => [key, key === 'id' ? 1 : null]),
);

const asRead = (message: Message): Message => JSON.parse(messageJson(message)) as Message;

/** Streams the slot through the decoder and envelope builder until a row lands in `done`. */
async function streamMessages(source: SourceDatabase, slot: string, publication: string): Promise<Message[]> {
  const messages: Message[] = [];
  const warnings: string[] = [];
  const tables = new Map<number, CompiledTable>();
  const decoder = new PgoutputTransactionDecoder();
  const service = new LogicalReplicationService(
    { connectionString: source.url, options: REPLICATION_SESSION_OPTIONS },
    // timeoutSeconds 0: the library's periodic status update would report its last received LSN as flushed.
    { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
  );
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  service.on('error', () => undefined);
  service.on('data', async (_lsn: string, log: Pgoutput.Message) => {
    for (const event of decoder.decode(log)) {
      switch (event.kind) {
        case 'relation':
          tables.set(event.relation.relationOid, await compileRelation(source.client, event.relation));
          break;
        case 'row': {
          const table = tables.get(event.relation.relationOid)!;
          if (table.name === 'done') finish();
          // As a consumer reads it: the message's JSON (json values embedded as Postgres wrote them).
          else messages.push(asRead(buildMessage(buildChangeBody(table, event.change), event.position, CONTEXT)));
          break;
        }
        case 'truncate':
          messages.push(asRead(buildTruncateMessage(event.relation, event.position, CONTEXT)));
          break;
        case 'annotation_warning':
          warnings.push(event.prefix);
          break;
      }
    }
  });
  const plugin = new RawTextPgoutputPlugin({ protoVersion: 1, publicationNames: [publication], messages: true });
  const subscribed = service.subscribe(plugin, slot).catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the replication stream did not reach the `done` row')), 30_000);
  });
  try {
    await Promise.race([finished, timedOut]);
  } finally {
    clearTimeout(timer);
    await service.destroy();
    await subscribed;
  }
  expect(warnings).toStrictEqual(['sluice:transaction_annotations.set']);
  return messages;
}

async function compileRelation(client: pg.Client, relation: Pgoutput.MessageRelation): Promise<CompiledTable> {
  const types = await loadUserTypes(
    client,
    relation.columns.map((column) => column.typeOid),
  );
  const { rows } = await client.query<{ attname: string }>(
    `SELECT a.attname FROM pg_index i
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = $1 AND i.indisprimary ORDER BY k.ord`,
    [relation.relationOid],
  );
  const lookup = typeLookupFrom(types);
  return compileTable(
    tableFromRelation(relation, { primaryKey: rows.map((row) => row.attname), typeInfo: lookup }),
    lookup,
  );
}

function idempotencyKeyOf(message: Message): string {
  return Buffer.from(`${message.metadata.commit_lsn}:${message.metadata.commit_idx}`).toString('base64');
}

/** The parts of a message a test can predict: drops commit_lsn, commit_timestamp and idempotency_key after checking them. */
function predictable(message: Message): JsonObject {
  const { commit_lsn, commit_timestamp, idempotency_key, consumer, database, database_name, ...metadata } =
    message.metadata;
  expect(Number.isSafeInteger(commit_lsn) && commit_lsn > 0).toBe(true);
  expect(commit_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  expect(Math.abs(Date.parse(commit_timestamp) - Date.now())).toBeLessThan(120_000);
  expect(idempotency_key).toBe(idempotencyKeyOf(message));
  expect({ consumer, database, database_name }).toStrictEqual({
    consumer: CONTEXT.consumer,
    database: CONTEXT.database,
    database_name: 'source',
  });
  return { record: message.record, changes: message.changes, action: message.action, metadata };
}

describe('pgoutput → envelope against a real Postgres', () => {
  let source: SourceDatabase;
  let messages: Message[];
  const big = 'x'.repeat(3000) + randomSuffix().repeat(500);

  beforeAll(async () => {
    const slot = `types_${randomSuffix()}`;
    const publication = 'types_pub';
    source = await createSourceDatabase({ publication, slot });
    const { client } = source;
    // Database defaults the reader's session options must override.
    await client.query(
      `ALTER DATABASE ${source.name} SET timezone = 'Asia/Kolkata';
       ALTER DATABASE ${source.name} SET datestyle = 'SQL, DMY';
       ALTER DATABASE ${source.name} SET intervalstyle = 'iso_8601';
       ALTER DATABASE ${source.name} SET extra_float_digits = 0;
       ALTER PUBLICATION ${publication} SET (publish_via_partition_root = true);`,
    );
    await client.query(SCHEMA);
    await client.query(EVERYTHING_VALUES_SQL);
    await client.query('UPDATE everything SET c_int4 = 5');
    await client.query('DELETE FROM everything');

    await client.query('INSERT INTO full_identity VALUES (1, $1, 1, $2)', ['a', big]);
    await client.query('UPDATE full_identity SET b = 2, a = NULL');
    await client.query('DELETE FROM full_identity');

    await client.query('INSERT INTO toasted VALUES (1, $1, 1)', [big]);
    await client.query('UPDATE toasted SET n = 2');

    await client.query(`INSERT INTO measurements VALUES (1, 'eu', 10), (2, 'us', 20)`);
    await client.query(`UPDATE measurements SET v = 11 WHERE region = 'eu'`);

    await client.query(`
      BEGIN;
      INSERT INTO annotated VALUES (1);
      SELECT pg_logical_emit_message(true, 'sluice:transaction_annotations.set', '{"a":1}');
      INSERT INTO annotated VALUES (2);
      SELECT pg_logical_emit_message(true, 'sequin:transaction_annotations.set', '{"b":{"c":2}}');
      INSERT INTO annotated VALUES (3);
      SELECT pg_logical_emit_message(true, 'sluice:transaction_annotations.clear', '');
      INSERT INTO annotated VALUES (4);
      SELECT pg_logical_emit_message(true, 'sluice:transaction_annotations.set', 'not json');
      INSERT INTO annotated VALUES (5);
      SELECT pg_logical_emit_message(true, 'sluice:transaction_annotations.set', '{"late":true}');
      COMMIT;`);
    await client.query('INSERT INTO annotated VALUES (6)');

    await client.query('INSERT INTO trunc_a VALUES (1)');
    await client.query('TRUNCATE trunc_a, trunc_b');
    await client.query('INSERT INTO done VALUES (1)');

    messages = await streamMessages(source, slot, publication);
  }, 60_000);

  afterAll(async () => {
    await source?.drop();
  });

  const of = (table: string) => messages.filter((message) => message.metadata.table_name === table);

  it('encodes every type of the encoding table exactly', () => {
    const [insert] = of('everything');
    expect(predictable(insert!)).toStrictEqual({
      record: EVERYTHING_RECORD,
      changes: null,
      action: 'insert',
      metadata: {
        table_schema: 'public',
        table_name: 'everything',
        commit_idx: 0,
        record_pks: ['1'],
        transaction_annotations: null,
      },
    });
    expect(Object.keys(insert!.record)).toStrictEqual(Object.keys(EVERYTHING_RECORD));
  });

  it('gives {} as changes without REPLICA IDENTITY FULL, and only the key on delete', () => {
    const [, update, del] = of('everything').map(predictable);
    expect(update).toMatchObject({ record: { ...EVERYTHING_RECORD, c_int4: 5 }, changes: {}, action: 'update' });
    expect(del).toStrictEqual({
      record: EVERYTHING_DELETED,
      changes: null,
      action: 'delete',
      metadata: {
        table_schema: 'public',
        table_name: 'everything',
        commit_idx: 0,
        record_pks: ['1'],
        transaction_annotations: null,
      },
    });
  });

  it('gives the changed columns with their old values with REPLICA IDENTITY FULL, filling in unchanged TOAST', () => {
    const [insert, update, del] = of('full_identity').map(predictable);
    expect(insert).toMatchObject({ record: { id: 1, a: 'a', b: 1, big }, changes: null, action: 'insert' });
    expect(update).toStrictEqual({
      record: { id: 1, a: null, b: 2, big },
      changes: { a: 'a', b: 1 },
      action: 'update',
      metadata: {
        table_schema: 'public',
        table_name: 'full_identity',
        commit_idx: 0,
        record_pks: ['1'],
        transaction_annotations: null,
      },
    });
    expect(del).toMatchObject({ record: { id: 1, a: null, b: 2, big }, changes: null, action: 'delete' });
  });

  it('leaves an unchanged TOAST value out of record without the old row and lists it', () => {
    const [insert, update] = of('toasted');
    expect(insert!.record).toStrictEqual({ id: 1, big, n: 1 });
    expect(predictable(update!)).toStrictEqual({
      record: { id: 1, n: 2 },
      changes: {},
      action: 'update',
      metadata: {
        table_schema: 'public',
        table_name: 'toasted',
        commit_idx: 0,
        record_pks: ['1'],
        transaction_annotations: null,
        unchanged_toast_columns: ['big'],
      },
    });
  });

  it('attributes partition changes to the root table, primary key values in key order', () => {
    expect(messages.some((message) => message.metadata.table_name.startsWith('measurements_'))).toBe(false);
    expect(
      of('measurements').map((message) => [
        message.action,
        message.record,
        message.metadata.record_pks,
        message.metadata.commit_idx,
      ]),
    ).toStrictEqual([
      ['insert', { id: 1, region: 'eu', v: 10 }, ['eu', '1'], 0],
      ['insert', { id: 2, region: 'us', v: 20 }, ['us', '2'], 1],
      ['update', { id: 1, region: 'eu', v: 11 }, ['eu', '1'], 0],
    ]);
  });

  it('applies transaction annotations to the later changes of their transaction', () => {
    expect(
      of('annotated').map((message) => [
        message.record['id'],
        message.metadata.commit_idx,
        message.metadata.transaction_annotations,
      ]),
    ).toStrictEqual([
      [1, 0, null],
      [2, 1, { a: 1 }],
      [3, 2, { b: { c: 2 } }],
      [4, 3, null],
      [5, 4, null],
      [6, 0, null],
    ]);
  });

  it('sends one truncate message per table, each with its own commit_idx', () => {
    const truncates = messages.filter((message) => message.action === 'truncate').map(predictable);
    expect(truncates).toStrictEqual(
      ['trunc_a', 'trunc_b'].map((table, index) => ({
        record: {},
        changes: null,
        action: 'truncate',
        metadata: {
          table_schema: 'public',
          table_name: table,
          commit_idx: index,
          record_pks: [],
          transaction_annotations: null,
        },
      })),
    );
  });

  it('orders commit LSNs and keeps idempotency keys unique', () => {
    const lsns = messages.map((message) => message.metadata.commit_lsn);
    expect([...lsns].sort((a, b) => a - b)).toStrictEqual(lsns);
    const keys = messages.map((message) => message.metadata.idempotency_key);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
