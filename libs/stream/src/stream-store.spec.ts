import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource, type QueryRunner } from 'typeorm';
import { dataSourceOptions } from '#core/database/data-source-options.js';
import { createMetadataDatabase, type MetadataDatabase, waitFor } from '#testing/databases.js';
import { HEADS_LOCK_SEED } from './stream-sql.js';
import { type StoredStreamMessage, StreamStore } from './stream-store.js';
import { utf8Slice } from './utf8-slices.js';

/** The store's statements against a real metadata Postgres (the HTTP flows are in apps/api's e2e tests). */
describe('StreamStore', () => {
  let database: MetadataDatabase;
  let dataSource: DataSource;
  let store: StreamStore;
  let accountId: string;
  let sinkId: string;

  beforeAll(async () => {
    database = await createMetadataDatabase();
    dataSource = await new DataSource(dataSourceOptions(database.url)).initialize();
    store = new StreamStore(dataSource);
    [{ id: accountId }] = await dataSource.query(`INSERT INTO accounts (name) VALUES ('store-test') RETURNING id`);
    const [{ id: databaseId }] = await dataSource.query(
      `INSERT INTO postgres_databases (account_id, name, hostname, port, database, username, password_encrypted)
       VALUES ($1, 'db', 'localhost', 5432, 'db', 'u', 'x') RETURNING id`,
      [accountId],
    );
    [{ id: sinkId }] = await dataSource.query(
      `INSERT INTO sinks (account_id, name, postgres_database_id, destination, source, actions, batch_size, start_lsn)
       VALUES ($1, 'stream', $2, '{"type":"sequin_stream"}', '{}', '{insert}', 1, 0) RETURNING id`,
      [accountId, databaseId],
    );
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const message = (lsn: number, data: string, groupId: string | null = null): StoredStreamMessage => ({
    idempotencyKey: Buffer.from(`${lsn}:0`).toString('base64'),
    groupId,
    commitLsn: BigInt(lsn),
    commitIdx: 0,
    json: utf8Slice(data),
  });

  const stored = (): Promise<Array<{ group_id: string | null; commit_lsn: string; data: string; is_head: boolean }>> =>
    dataSource.query(
      `SELECT group_id, commit_lsn::text, data, is_head FROM stream_messages WHERE sink_id = $1 ORDER BY seq`,
      [sinkId],
    );

  /** A sink like the test's own, in the same account. */
  const newSink = async (name: string): Promise<string> => {
    const [{ id }] = (await dataSource.query(
      `INSERT INTO sinks (account_id, name, postgres_database_id, destination, source, actions, batch_size, start_lsn)
       SELECT account_id, $2, postgres_database_id, destination, source, actions, batch_size, start_lsn
         FROM sinks WHERE id = $1 RETURNING id`,
      [sinkId, name],
    )) as Array<{ id: string }>;
    return id;
  };

  const countOf = async (id: string): Promise<number> => {
    const [{ n }] = (await dataSource.query(`SELECT count(*)::int AS n FROM stream_messages WHERE sink_id = $1`, [
      id,
    ])) as Array<{ n: number }>;
    return n;
  };

  /** Runs `work` in a transaction of its own connection, which `work` commits; rolled back if it does not. */
  const inOwnTransaction = async (work: (runner: QueryRunner) => Promise<void>): Promise<void> => {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await work(runner);
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  };

  it('stores every message as given, in order, with its group and head flag', async () => {
    const texts = ['{"a":"x\\"y"}', '{"b":[1,2,"\\u001e"]}', '{"c":"ünïcødé 🚀"}', '{"d":null}'];
    const count = await store.store(accountId, sinkId, [
      message(10, texts[0]!, 'public.t:1'),
      message(11, texts[1]!, 'public.t:1'),
      message(12, texts[2]!, 'public.t:"2"'),
      message(13, texts[3]!),
    ]);
    expect(count).toBe(4);
    expect(await stored()).toEqual([
      { group_id: 'public.t:1', commit_lsn: '10', data: texts[0], is_head: true },
      { group_id: 'public.t:1', commit_lsn: '11', data: texts[1], is_head: false },
      { group_id: 'public.t:"2"', commit_lsn: '12', data: texts[2], is_head: true },
      { group_id: null, commit_lsn: '13', data: texts[3], is_head: true },
    ]);
  });

  it('stores a batch in which a text holds the separator character raw, whole', async () => {
    const raw = 'not json \u001e but stored as given';
    expect(await store.store(accountId, sinkId, [message(20, '{"e":1}'), message(21, raw)])).toBe(2);
    expect((await stored()).slice(-2).map((row) => row.data)).toEqual(['{"e":1}', raw]);
  });

  it('stores an empty text as given (split on the separator it would vanish)', async () => {
    expect(await store.store(accountId, sinkId, [message(30, '')])).toBe(1);
    expect((await stored()).at(-1)).toMatchObject({ commit_lsn: '30', data: '' });
  });

  it('skips changes at or below the cursor (a replay)', async () => {
    expect(await store.store(accountId, sinkId, [message(30, '{"again":1}'), message(31, '{"new":1}')])).toBe(1);
    expect((await stored()).at(-1)).toMatchObject({ commit_lsn: '31', data: '{"new":1}' });
  });

  it("commits a receive's claim without waiting for the WAL flush, and only that transaction; an ack waits", async () => {
    await store.store(accountId, sinkId, [message(40, '{"claim":1}')]);
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    const setting = async (): Promise<string> =>
      ((await runner.query(`SELECT current_setting('synchronous_commit') AS v`)) as Array<{ v: string }>)[0]!.v;
    try {
      await runner.query(`SET synchronous_commit = on`);
      await runner.startTransaction();
      const claimed = (await runner.query(`SELECT ack_id FROM sluice_stream_receive($1, 1000, 30000, 10000)`, [
        sinkId,
      ])) as Array<{ ack_id: string }>;
      expect(claimed.length).toBeGreaterThan(0);
      expect(await setting()).toBe('off');
      await runner.commitTransaction();
      expect(await setting()).toBe('on');

      await runner.startTransaction();
      await runner.query(`SELECT acked FROM sluice_stream_ack($1, $2::uuid[], 10000)`, [
        sinkId,
        claimed.map((row) => row.ack_id),
      ]);
      expect(await setting()).toBe('on');
      await runner.commitTransaction();
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it("stores under the sink's heads lock, exclusively: a store waits while an ack's hand-over holds it", async () => {
    await inOwnTransaction(async (holder) => {
      // Shared, as an ack takes it: a store must still wait.
      await holder.query(`SELECT pg_advisory_xact_lock_shared(hashtextextended($1, ${HEADS_LOCK_SEED}))`, [sinkId]);
      let done = false;
      const storing = store.store(accountId, sinkId, [message(50, '{"locked":1}')]).finally(() => (done = true));
      await waitFor(async () => {
        const rows = (await holder.query(
          `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
            AND (classid::bigint << 32 | objid::bigint) = hashtextextended($1, ${HEADS_LOCK_SEED})`,
          [sinkId],
        )) as unknown[];
        return rows.length > 0;
      });
      expect(done).toBe(false);
      await holder.commitTransaction();
      expect(await storing).toBe(1);
    });
  });

  it("deletes a deleted sink's messages with it, and stores nothing for a sink that is gone", async () => {
    const doomed = await newSink('doomed');
    await store.store(accountId, sinkId, [message(59, '{"kept":1}')]);
    const kept = await countOf(sinkId);
    expect(kept).toBeGreaterThan(0);
    expect(await store.store(accountId, doomed, [message(60, '{"a":1}'), message(61, '{"b":2}')])).toBe(2);
    expect(await countOf(doomed)).toBe(2);

    await dataSource.query(`DELETE FROM sinks WHERE id = $1`, [doomed]);
    expect(await countOf(doomed)).toBe(0);
    expect(await countOf(sinkId)).toBe(kept);
    await expect(store.store(accountId, doomed, [message(62, '{"c":3}')])).rejects.toMatchObject({
      code: '23503',
      message: expect.stringMatching(/does not exist/),
    });
    expect(await countOf(doomed)).toBe(0);
  });

  describe('a sink deleted while a store runs leaves none of its messages behind', () => {
    /** A statement starting with `query` waits for a lock. */
    const waitingForLock = (query: string): Promise<true> =>
      waitFor(async () => {
        const rows = (await dataSource.query(
          `SELECT 1 FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND starts_with(query, $1)`,
          [query],
        )) as unknown[];
        return rows.length > 0;
      });

    it('the store first: the deletion waits for it and deletes what it stored', async () => {
      const doomed = await newSink('doomed-while-storing');
      // Stored before: its cursor exists, so the store below only updates it (no check of the cursor's
      // own key, which would lock the sink's row too) and the sink's row is locked by the store alone.
      await store.store(accountId, doomed, [message(69, '{"before":1}')]);
      await inOwnTransaction(async (storing) => {
        const input = JSON.stringify([[message(70, '').idempotencyKey, 'public.t:1', '70', 0, '{"a":1}']]);
        await storing.query(`SELECT sluice_stream_store($1, $2, $3::json, NULL)`, [accountId, doomed, input]);
        await expect(
          dataSource.query(`SELECT 1 FROM sinks WHERE id = $1 FOR UPDATE NOWAIT`, [doomed]),
        ).rejects.toMatchObject({ code: '55P03' }); // the store holds the sink's row
        let deleted = false;
        const deleting = dataSource.query(`DELETE FROM sinks WHERE id = $1`, [doomed]).finally(() => (deleted = true));
        await waitingForLock('DELETE FROM sinks');
        expect(deleted).toBe(false);
        await storing.commitTransaction();
        await deleting;
        expect(await countOf(doomed)).toBe(0);
      });
    });

    it("deletes the messages before the sink's other rows, as an ack locks them: no deadlock", async () => {
      const doomed = await newSink('deleted-while-acking');
      await store.store(accountId, doomed, [message(75, '{"acking":1}')]);
      await dataSource.query(`INSERT INTO stream_outstanding (sink_id, shard, n) VALUES ($1, 0, 1)`, [doomed]);
      // An ack locks its messages (deletes them), then updates its outstanding shard.
      await inOwnTransaction(async (acking) => {
        await acking.query(`SELECT 1 FROM stream_messages WHERE sink_id = $1 FOR UPDATE`, [doomed]);
        const deleting = dataSource.query(`DELETE FROM sinks WHERE id = $1`, [doomed]);
        await waitingForLock('DELETE FROM sinks');
        // The deletion waits on the message, and has not locked the shard the ack updates next.
        await acking.query(`SELECT 1 FROM stream_outstanding WHERE sink_id = $1 FOR UPDATE NOWAIT`, [doomed]);
        await acking.commitTransaction();
        await deleting;
        expect(await countOf(doomed)).toBe(0);
      });
    });

    it('the deletion first: the store waits for it and then fails, storing nothing', async () => {
      const doomed = await newSink('deleted-before-store');
      await inOwnTransaction(async (deleting) => {
        await deleting.query(`DELETE FROM sinks WHERE id = $1`, [doomed]);
        const storing = store.store(accountId, doomed, [message(80, '{"late":1}')]);
        storing.catch(() => undefined); // awaited below
        await waitingForLock('SELECT sluice_stream_store');
        await deleting.commitTransaction();
        await expect(storing).rejects.toMatchObject({
          code: '23503',
          message: expect.stringMatching(/does not exist/),
        });
        expect(await countOf(doomed)).toBe(0);
      });
    });
  });
});
