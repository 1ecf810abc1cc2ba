import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgresServer, type PostgresServer } from '#core/embedded/postgres-server.js';
import { randomSuffix, waitFor } from '#testing/databases.js';
import {
  type EngineStack,
  expectStreamMatches,
  startEngineStack,
  startWorkload,
  waitForStreamChanges,
  workloadTableSql,
} from '#testing/engine.js';

const RESTARTED = 'source_restarted_items';
const CRASHED = 'source_crashed_items';

/**
 * The source database's whole server restarted mid-burst, on a private server: once shut down
 * cleanly, as an operator restarts it, and once immediately, as a crash does (its processes end at
 * once, the next start recovers from the WAL and the slot may be back where its last checkpoint
 * left it). Every connection Sluice has to the source is lost together, not only the walsender's.
 */
describe('faults: the source Postgres server restarted', () => {
  let dir: string;
  let dataDir: string;
  let server: PostgresServer;
  let stack: EngineStack;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-faults-source-'));
    await chmod(dir, 0o755); // run as root, Postgres runs as the postgres user and must enter it
    dataDir = join(dir, 'data');
    // Not `fast`: with synchronous_commit off, an immediate shutdown can lose commits the writer saw succeed.
    server = await startPostgresServer({ dataDir });
    stack = await startEngineStack([...workloadTableSql(RESTARTED), ...workloadTableSql(CRASHED)], {
      sourceServerUrl: server.url,
    });
  }, 120_000);
  afterAll(async () => {
    try {
      await stack?.close();
    } finally {
      await server?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['fast', RESTARTED],
    ['immediate', CRASHED],
  ] as const)(
    'a %s shutdown and restart mid-burst: every change arrives in commit order, the slot moves past the last commit',
    async (mode, table) => {
      const streamKey = `faults-${table}-${randomSuffix()}`;
      await stack.createSink({
        name: `${table}-stream`,
        source: { include_tables: [table] },
        destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
      });
      const readerBefore = await waitFor(() => stack.slotActivePid().then((pid) => pid ?? undefined), {
        message: 'a reader on the slot',
      });
      const transactions = 600;
      const workload = startWorkload(stack.source.url, table, {
        transactions,
        pauseMs: 5,
        survivesServerRestarts: true,
      });
      await waitFor(async () => (await stack.sinkRedis.xlen(streamKey)) >= 40, { message: 'the first deliveries' });
      expect(workload.committed()).toBeLessThan(transactions);

      const { port } = server;
      await server.stop(mode);
      server = await startPostgresServer({ dataDir, port });
      await stack.source.reconnect();
      const readerAfter = await waitFor(() => stack.slotActivePid().then((pid) => pid ?? undefined), {
        timeoutMs: 40_000,
        message: 'the reader to reconnect to the restarted server',
      });
      expect(readerAfter).not.toBe(readerBefore);

      await workload.done;
      const expected = await workload.expected();
      const analysis = await waitForStreamChanges(stack.sinkRedis, streamKey, expected.length, 60_000);
      expectStreamMatches(analysis, expected, { maxReplays: 1 });
      await stack.waitForSlotPast(analysis.changes.at(-1)!.commitLsn);
    },
    120_000,
  );
});
