import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { SinkDestination } from '#core/entities/sink-destination.js';
import { lsnToBigInt } from '#core/source/lsn.js';
import { createSourceDatabase, randomSuffix, type SourceDatabase, waitFor } from '#testing/databases.js';
import type { DeliveryOutcome } from '#sinks/redis/redis-connection.js';
import type { SinkDelivery } from '#sinks/sink-delivery.js';
import type { Message } from '../messages/message.js';
import type { LoadedSink } from './loaded-sink.js';
import { SlotReaderSession } from './slot-reader.js';

describe('SlotReaderSession', () => {
  let source: SourceDatabase;
  const slot = `reader_spec_${randomSuffix()}`;
  const publication = `pub_${randomSuffix()}`;

  beforeAll(async () => {
    source = await createSourceDatabase({ publication, slot });
    await source.client.query(`CREATE TABLE items (id int PRIMARY KEY, v text)`);
  });
  afterAll(() => source?.drop());

  const readerActive = async (): Promise<boolean> => {
    const { rows } = await source.client.query<{ pid: number | null }>(
      `SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1`,
      [slot],
    );
    return rows[0]?.pid != null;
  };

  const sink: LoadedSink = {
    id: randomUUID(),
    name: 'spec-sink',
    status: 'active',
    destination: { type: 'redis_stream' } as unknown as SinkDestination,
    source: null,
    tables: [],
    actions: ['update'],
    messageGrouping: true,
    batchSize: 10,
    maxAckPending: 100,
    maxRetryCount: null,
    annotations: {},
    startLsn: 0n,
    version: 'v1',
  };

  /** `gate`, when given, holds every delivery until it resolves; the changes count as delivered at once. */
  function session(delivered: string[], log: string[], gate?: Promise<void>, stopDrainMs?: number): SlotReaderSession {
    const delivery: SinkDelivery<Message> = {
      ordering: 'total',
      toPayload: (message) => message,
      deliver: async (messages): Promise<DeliveryOutcome[]> => {
        for (const { action, record } of messages) {
          const { id, v } = record as { id: number; v: string };
          delivered.push(`${action} ${id} ${v}`);
        }
        await gate;
        return messages.map(() => ({ ok: true }));
      },
      close: async () => {},
    };
    return new SlotReaderSession({
      source: {
        slotName: slot,
        publicationName: publication,
        database: { id: randomUUID(), name: 'spec', annotations: {}, database: source.name, hostname: 'localhost' },
      },
      connection: { connectionString: source.url } as pg.ClientConfig,
      loadSinks: async () => [sink],
      createDelivery: () => delivery as SinkDelivery<unknown>,
      ledger: { failed: async () => {}, deadLettered: async () => {}, delivered: () => {} },
      log: { info: () => {}, warn: (m) => log.push(m), error: (m) => log.push(m) },
      statusIntervalMs: 100,
      stopDrainMs,
    });
  }

  /**
   * A reload requested while a session is still starting (the API created a sink just as the reader's
   * session began, as with a fresh test stack's first sink) built the sink's runtime before the session
   * had its flush tracker: the runtime threw on its first change, and the commit right behind that change
   * was still handled, moving the slot past a change nobody delivered.
   */
  it('delivers the first change the sink takes after a reload requested while starting, even if the slot moved on', async () => {
    const delivered: string[] = [];
    const log: string[] = [];
    const first = session(delivered, log);
    const stop = new AbortController();
    let ended = 'running';
    const running = first.run(stop.signal).then(
      () => (ended = 'stopped'),
      (error: Error) => (ended = `failed: ${error.message}`),
    );
    // The API's "sinks changed" notification arrives while start() is still connecting.
    first.requestReload();
    await waitFor(readerActive, { message: 'the session to start reading' });

    // The insert is not for the sink (it takes updates only) but makes the session compile the table,
    // so the update below is routed as it arrives, its commit right behind it.
    const { rows } = await source.client.query<{ lsn: string }>(
      `INSERT INTO items VALUES (1, 'a') RETURNING pg_current_wal_insert_lsn()::text AS lsn`,
    );
    const inserted = lsnToBigInt(rows[0]!.lsn);
    await waitFor(async () => first.flushLsn >= inserted || ended !== 'running', { message: 'the insert to be read' });
    await source.client.query(`UPDATE items SET v = 'b' WHERE id = 1`);
    await waitFor(async () => delivered.length > 0 || ended !== 'running', { timeoutMs: 5_000 }).catch(() => {});
    stop.abort();
    await running;

    // A later session starts where the slot is: whatever the first did not deliver, it must.
    const second = session(delivered, log);
    const stop2 = new AbortController();
    const running2 = second.run(stop2.signal).catch(() => undefined);
    await waitFor(readerActive);
    await waitFor(async () => delivered.length > 0, { timeoutMs: 3_000 }).catch(() => {});
    stop2.abort();
    await running2;

    expect({ delivered, first: ended }).toEqual({ delivered: ['update 1 b'], first: 'stopped' });
  });

  /**
   * A session whose delivery of row `id`'s update to `value` is handed over and held until `release`;
   * `stop` aborts it, `running` settles when it has ended.
   */
  async function sessionHoldingUpdate(id: number, value: string, delivered: string[], stopDrainMs?: number) {
    await source.client.query(`INSERT INTO items VALUES ($1, 'a')`, [id]);
    let release!: () => void;
    const held = session(delivered, [], new Promise<void>((resolve) => (release = resolve)), stopDrainMs);
    const stop = new AbortController();
    const running = held.run(stop.signal);
    await waitFor(readerActive, { message: 'the session to start reading' });
    await source.client.query(`UPDATE items SET v = $2 WHERE id = $1`, [id, value]);
    await waitFor(async () => delivered.includes(`update ${id} ${value}`), { message: 'the update to be handed over' });
    return { stop: () => stop.abort(), release, running };
  }

  /** Runs a later session until `done`, then stops it. */
  async function nextSessionUntil(delivered: string[], done: () => boolean, message: string): Promise<void> {
    const stop = new AbortController();
    const running = session(delivered, []).run(stop.signal);
    await waitFor(async () => done(), { message });
    stop.abort();
    await running;
  }

  it('stops cleanly: a batch in flight is answered and acknowledged before the session ends', async () => {
    const delivered: string[] = [];
    const first = await sessionHoldingUpdate(2, 'c', delivered);
    first.stop();
    // A stop that reported its status before the answer came would already have let the slot go; one
    // that waits for the answer keeps it until released (checked after a deadline either way).
    await waitFor(async () => !(await readerActive()), { timeoutMs: 1_000 }).catch(() => undefined);
    first.release();
    await first.running;

    await source.client.query(`UPDATE items SET v = 'd' WHERE id = 2`);
    await nextSessionUntil(delivered, () => delivered.includes('update 2 d'), 'the next session to deliver');
    expect(delivered.filter((change) => change.startsWith('update 2'))).toEqual(['update 2 c', 'update 2 d']);
  });

  it('lets the slot go after a while when a batch in flight never gets its answer', async () => {
    const delivered: string[] = [];
    const first = await sessionHoldingUpdate(3, 'e', delivered, 300);
    first.stop();
    await waitFor(async () => !(await readerActive()), {
      timeoutMs: 5_000,
      message: 'the slot to be let go while the batch still waits',
    });
    first.release();
    await first.running;

    // Not acknowledged: the next session delivers it again (at least once).
    await nextSessionUntil(
      delivered,
      () => delivered.filter((change) => change === 'update 3 e').length === 2,
      'the next session to deliver the unanswered change again',
    );
  });

  /**
   * The lag metric and the relation lookups share the session's catalog connection. node-pg queues a
   * query sent to a busy client, deprecated (removed in pg 9, a warning on stderr meanwhile).
   */
  it('asks its catalog connection one query at a time while tables are looked up and the lag is read', async () => {
    const tables = Array.from({ length: 20 }, (_, i) => `lookup_${i}`);
    for (const table of tables) await source.client.query(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
    const original = pg.Client.prototype.query;
    const inFlight = new WeakMap<object, number>();
    const queriesOf = new Map<object, number>();
    const lagReaders = new WeakSet<object>(); // the connection the lag is read on: the catalog's
    let overlapping = 0;
    let lookups = 0; // relation lookups begun (their first query names pg_partition_root)
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      queriesOf.set(this, (queriesOf.get(this) ?? 0) + 1);
      if (typeof args[0] === 'string' && args[0].includes('confirmed_flush_lsn)::text AS lag')) lagReaders.add(this);
      if (typeof args[0] === 'string' && args[0].includes('pg_partition_root')) lookups++;
      const busy = inFlight.get(this) ?? 0;
      if (busy > 0) overlapping++;
      inFlight.set(this, busy + 1);
      const settle = (): void => void inFlight.set(this, inFlight.get(this)! - 1);
      const result = (original as (...a: unknown[]) => unknown).apply(this, args);
      if (result instanceof Promise) result.then(settle, settle);
      else settle(); // a callback or submittable query: not counted as in flight
      return result;
    } as typeof original;
    const stop = new AbortController();
    let running: Promise<void> | undefined;
    try {
      const reader = session([], []);
      running = reader.run(stop.signal);
      await waitFor(readerActive, { message: 'the session to start reading' });
      let lagReads = 0;
      let reading = true;
      const lagLoop = (async () => {
        while (reading) {
          await reader.replicationLagBytes();
          lagReads++;
        }
      })();
      await source.client.query('BEGIN');
      for (const table of tables) await source.client.query(`INSERT INTO ${table} VALUES (1)`);
      await source.client.query('COMMIT');
      // Not the flush LSN: with nothing pending it follows the server's keepalives, which can pass
      // the inserts before their transaction is decoded (a CI run saw 20 lookups fewer than asked).
      await waitFor(async () => lookups >= tables.length, { message: 'every table to be looked up' });
      reading = false;
      await lagLoop;
      stop.abort();
      await running;
      expect(lagReads).toBeGreaterThan(0);
      // Each table's lookup ran on the same connection meanwhile (a query or more per table).
      const catalogQueries = [...queriesOf].filter(([client]) => lagReaders.has(client)).map(([, count]) => count);
      expect(catalogQueries).toEqual([expect.any(Number)]);
      expect(catalogQueries[0]).toBeGreaterThanOrEqual(tables.length + lagReads);
      expect(overlapping).toBe(0);
    } finally {
      pg.Client.prototype.query = original;
      stop.abort();
      await running?.catch(() => undefined);
    }
  });
});
