import { waitFor } from '#testing/databases.js';
import { type EngineStack, startEngineStack } from '#testing/engine.js';
import { type PrivateRedis, startPrivateRedis } from '#testing/private-redis.js';
import { REFUSED_ID, shortKeysUser } from '#testing/redis-commands.js';

const TABLE = 'tenant_items';

/**
 * `group_column_names` on a column outside the key, without REPLICA IDENTITY FULL: a delete carries
 * only the key, so its group column comes as NULL. Grouped by that NULL, a delete went ahead of the
 * row's own pending insert in the tenant's group, and the insert then put the deleted row back into
 * the cache for good. A row's messages now stay in one group while any is undelivered.
 */
describe('engine: a delete that carries only the key follows its row when grouped by other columns', () => {
  let stack: EngineStack;
  let sinkRedis: PrivateRedis;

  beforeAll(async () => {
    stack = await startEngineStack([
      `CREATE TABLE ${TABLE} (id int PRIMARY KEY, tenant text NOT NULL, v int NOT NULL)`,
    ]);
    sinkRedis = await startPrivateRedis('group-columns');
  });
  afterAll(async () => {
    try {
      await stack?.close();
    } finally {
      await sinkRedis?.close();
    }
  });

  it("the delete waits behind the tenant's held group; the cache ends without the row", async () => {
    const { server, redis } = sinkRedis;
    const prefix = `sequin:${TABLE}:`;
    const shortKeys = await shortKeysUser(redis, prefix, 'tenant');
    await stack.createSink({
      name: 'tenant-cache',
      source: { include_tables: [TABLE] },
      tables: [{ name: TABLE, group_column_names: ['tenant'] }],
      destination: shortKeys.stringDestination(server.port),
    });
    const write = (sql: string, params: unknown[]) => stack.source.client.query(sql, params);

    // Tenant a's group is held: its first row's key is refused until allowed.
    await write(`INSERT INTO ${TABLE} VALUES ($1, 'a', 0)`, [REFUSED_ID]);
    await write(`INSERT INTO ${TABLE} VALUES (1, 'a', 0)`, []);
    await write(`DELETE FROM ${TABLE} WHERE id = 1`, []);
    await write(`INSERT INTO ${TABLE} VALUES (2, 'b', 0)`, []);
    // Tenant b's row goes through; a delete grouped apart from its row would have gone with it.
    await waitFor(async () => (await redis.exists(`${prefix}2`)) === 1, { message: "tenant b's row in the cache" });
    expect(await redis.exists(`${prefix}${REFUSED_ID}`)).toBe(0);

    await shortKeys.allowAll();
    const { rows } = await stack.source.client.query<{ lsn: string }>(
      `SELECT (pg_current_wal_lsn() - '0/0')::text AS lsn`,
    );
    // Everything settled, and nothing of the sink failing or parked: its last message is applied.
    await stack.waitForSlotPast(BigInt(rows[0]!.lsn) - 1n, 30_000);
    await waitFor(
      async () => {
        const { data } = await stack.api.client.GET('/api/sinks/{id_or_name}/messages', {
          params: { path: { id_or_name: 'tenant-cache' }, query: { state: 'failing' } },
        });
        return data?.data.length === 0 && (await redis.exists(`${prefix}${REFUSED_ID}`)) === 1;
      },
      { timeoutMs: 30_000, message: "tenant a's group delivered" },
    );
    expect(await redis.exists(`${prefix}1`)).toBe(0);
  });
});
