import { waitFor } from '#testing/databases.js';
import { type EngineStack, startEngineStack } from '#testing/engine.js';
import { type PrivateRedis, startPrivateRedis } from '#testing/private-redis.js';
import { shortKeysUser } from '#testing/redis-commands.js';
import { createBackfill, getBackfill, waitForBackfill } from './backfill-support.js';

const TABLE = 'bf_window';
/** Pages of half of it: ten rows. */
const MAX_ACK_PENDING = 20;
/** The first page's first row: its three-character key is refused, so that page does not settle. */
const HELD_ID = -10;
/** A row of the second page, changed after that page is read and before its watermark. */
const CHANGED_ID = 5;

/**
 * The watermark method's race, made to happen rather than hoped for (backfill-consistency provokes it
 * at random): a row is read by a page, then changed and committed, and only then is the page's
 * watermark written. The change reaches the sink first, so the read must be dropped at the watermark;
 * emitted, it would overwrite the newer value in the cache for good.
 *
 * The second page is read while the sink takes the first, and its watermark waits until the first has
 * settled; a refused row of the first page (keys of one or two characters only, see shortKeysUser)
 * holds the second page between its read and its watermark until that row's group is parked (after
 * 5 s of failing, about 7 s with the retries' waits). The update is committed well within that, and
 * the test checks right after the commit that no page was recorded yet, so it cannot pass without
 * the race having happened.
 */
describe('backfill: a row changed between its page read and the watermark', () => {
  let stack: EngineStack;
  let sinkRedis: PrivateRedis;

  beforeAll(async () => {
    stack = await startEngineStack([
      `CREATE TABLE ${TABLE} (id int PRIMARY KEY, v int NOT NULL)`,
      `INSERT INTO ${TABLE} (id, v) SELECT g, 0 FROM generate_series(${HELD_ID}, 99) g`,
    ]);
    sinkRedis = await startPrivateRedis('watermark');
  });
  afterAll(async () => {
    try {
      await stack?.close();
    } finally {
      await sinkRedis?.close();
    }
  });

  /** Whether the backfill's connection has read a page after a cursor and is waiting (idle) to write its watermark. */
  const secondPageRead = async (): Promise<boolean> => {
    const { rows } = await stack.source.client.query<{ found: boolean }>(
      `SELECT count(*) > 0 AS found FROM pg_stat_activity
        WHERE datname = current_database() AND state = 'idle' AND query LIKE $1`,
      [`SELECT % FROM "public"."${TABLE}" WHERE ("id") > ($1) ORDER BY "id" LIMIT $2`],
    );
    return rows[0]!.found;
  };

  it('the change wins: the read is dropped at the watermark, and the cache ends equal to the table', async () => {
    const { server, redis } = sinkRedis;
    const prefix = `sequin:${TABLE}:`;
    const shortKeys = await shortKeysUser(redis, prefix, 'watermark');
    const sink = await stack.createSink({
      name: 'watermark-cache',
      source: { include_tables: [TABLE] },
      max_ack_pending: MAX_ACK_PENDING,
      destination: shortKeys.stringDestination(server.port),
    });
    const backfill = await createBackfill(stack, sink.name);

    await waitFor(secondPageRead, {
      timeoutMs: 30_000,
      message: 'the second page read, its watermark not yet written',
    });
    await stack.source.client.query(`UPDATE ${TABLE} SET v = 1 WHERE id = $1`, [CHANGED_ID]);
    // Committed while the first page was unsettled: no page recorded yet, so the second page's
    // watermark, written only after the first page is recorded, follows the update.
    expect((await getBackfill(stack, sink.name, backfill.id)).rows_processed_count).toBe(0);
    // The update goes through (its group is not the held one).
    await waitFor(
      async () => (await redis.get(`${prefix}${CHANGED_ID}`)) === JSON.stringify({ id: CHANGED_ID, v: 1 }),
      { timeoutMs: 15_000, message: 'the update in the cache' },
    );

    await shortKeys.allowAll();
    const completed = await waitForBackfill(stack, sink.name, backfill.id, (b) => b.state === 'completed', 30_000);

    const { rows } = await stack.source.client.query<{ id: number; v: number }>(
      `SELECT id, v FROM ${TABLE} ORDER BY id`,
    );
    const keys = rows.map((row) => `${prefix}${row.id}`);
    await waitFor(
      async () => {
        const values = await redis.mget(keys);
        return rows.every((row, i) => values[i] === JSON.stringify(row));
      },
      { timeoutMs: 15_000, message: 'every row in the cache as in the table' },
    );
    expect(await redis.get(`${prefix}${CHANGED_ID}`)).toBe(JSON.stringify({ id: CHANGED_ID, v: 1 }));
    expect(completed.rows_processed_count).toBe(110);
    expect(completed.rows_ingested_count).toBe(109); // the changed row's read was dropped
  });
});
