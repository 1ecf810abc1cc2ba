import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '#core/embedded/redis-server.js';
import { randomSuffix, testRedisUrl, waitFor } from '#testing/databases.js';
import { hasLsnStreamId } from './redis-stream-delivery.js';
import { RedisStreamWriter, type StreamEntry, StreamEntryEncoder } from './redis-stream-writer.js';
import { fieldsOf } from './stream-entry.js';

const encoder = new StreamEntryEncoder();
const streamEntry = (id: string, fields: string[]): StreamEntry => encoder.entry(id, fields);

/** `lsn`-mode ids against the test Redis: which ids Redis refuses as not above the top are replays. */
describe('RedisStreamWriter with lsn ids', () => {
  const redis = new Redis(testRedisUrl());
  let key: string;

  beforeEach(() => {
    key = `writer-spec-${randomSuffix()}`;
  });
  afterEach(() => redis.del(key));
  afterAll(() => redis.disconnect());

  const writer = () => new RedisStreamWriter(redis, key, null, hasLsnStreamId);
  /** Entries of changes at `<commit_lsn>:<commit_idx>` positions. */
  const entries = (...positions: string[]): StreamEntry[] =>
    positions.map((position) => {
      const [lsn, idx] = position.split(':').map(Number);
      return streamEntry(`${lsn}-${idx}`, ['metadata', JSON.stringify({ commit_lsn: lsn, commit_idx: idx })]);
    });
  const ids = async (): Promise<string[]> => (await redis.xrange(key, '-', '+')).map(([id]) => id);
  const delivered = (count: number) => Array(count).fill({ ok: true });

  it('counts a replayed entry still in the stream as delivered, and adds the new ones once', async () => {
    expect(await writer().write(entries('100:0', '100:1'))).toEqual(delivered(2));
    expect(await writer().write(entries('100:0', '100:1', '200:0'))).toEqual(delivered(3));
    expect(await ids()).toEqual(['100-0', '100-1', '200-0']);
  });

  it('counts a replayed entry trimmed away since as delivered', async () => {
    await writer().write(entries('100:0', '200:0', '300:0'));
    await redis.xtrim(key, 'MAXLEN', 1);
    expect(await writer().write(entries('100:0', '200:0', '300:0', '400:0'))).toEqual(delivered(4));
    expect(await ids()).toEqual(['300-0', '400-0']);
  });

  it('fails an entry below a top entry of another writer instead of counting it as delivered', async () => {
    await writer().write(entries('100:0'));
    const foreign = await redis.xadd(key, '*', 'from', 'elsewhere');
    const [present, absent] = await writer().write(entries('100:0', '200:0'));
    expect(present).toEqual({ ok: true });
    expect(absent).toEqual({
      ok: false,
      error: expect.stringMatching(/^XADD 200-0 refused: .* not written by this sink/),
    });
    expect(await ids()).toEqual(['100-0', foreign]);
  });
});

describe('hasLsnStreamId', () => {
  it('is true only when the id is the one the entry metadata gives', () => {
    const fields = (metadata: string) => ['record', '{}', 'metadata', metadata];
    expect(hasLsnStreamId('7-2', fields('{"commit_lsn":7,"commit_idx":2}'))).toBe(true);
    expect(hasLsnStreamId('7-3', fields('{"commit_lsn":7,"commit_idx":2}'))).toBe(false);
    expect(hasLsnStreamId('1795748334014-0', fields('{"commit_lsn":7,"commit_idx":2}'))).toBe(false);
    expect(hasLsnStreamId('7-2', fields('not json'))).toBe(false);
    expect(hasLsnStreamId('7-2', ['from', 'elsewhere'])).toBe(false);
  });
});

describe('RedisStreamWriter batches', () => {
  const redis = new Redis(testRedisUrl());
  let key: string;

  beforeEach(() => {
    key = `writer-batch-spec-${randomSuffix()}`;
  });
  afterEach(() => redis.del(key));
  afterAll(() => redis.disconnect());

  const entry = (id: string, n: number): StreamEntry => streamEntry(id, ['n', String(n), 'empty', '']);
  const values = async (client: Redis = redis): Promise<string[]> =>
    (await client.xrange(key, '-', '+')).map(([, fields]) => fields[1]!);

  it('adds every entry of a batch in order, with its fields as given', async () => {
    const writer = new RedisStreamWriter(redis, key, null);
    const batch = Array.from({ length: 300 }, (_, n) => entry('*', n));
    expect(await writer.write(batch)).toEqual(batch.map(() => ({ ok: true })));
    expect(await values()).toEqual(batch.map((_, n) => String(n)));
    const [[, fields]] = await redis.xrange(key, '-', '+', 'COUNT', 1);
    expect(fields).toEqual(['n', '0', 'empty', '']);
  });

  it('stops at the first refused entry: nothing after it gets in ahead of it', async () => {
    const writer = new RedisStreamWriter(redis, key, null);
    const outcomes = await writer.write([entry('*', 1), entry('not-an-id', 2), entry('*', 3)]);
    expect(outcomes[0]).toEqual({ ok: true });
    expect(outcomes[1]).toEqual({ ok: false, error: expect.stringMatching(/Invalid stream ID/), refused: true });
    expect(outcomes[2]).toEqual({ ok: false, error: expect.stringMatching(/^not attempted: .*Invalid stream ID/) });
    expect(await values()).toEqual(['1']);
  });

  it('trims to max_len as it adds', async () => {
    const writer = new RedisStreamWriter(redis, key, 10);
    await writer.write(Array.from({ length: 1000 }, (_, n) => entry('*', n)));
    const length = await redis.xlen(key);
    expect(length).toBeGreaterThanOrEqual(10);
    expect(length).toBeLessThan(1000);
    expect((await values()).at(-1)).toBe('999');
  });

  it('trims approximately (MAXLEN ~ n), through the script and through MULTI/EXEC alike', async () => {
    const watcher = new Redis(testRedisUrl());
    const monitor = await watcher.monitor();
    const xadds: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toUpperCase() === 'XADD' && args[1] === key) xadds.push(args.slice(2, 5));
    });
    const user = `noscript-${randomSuffix()}`;
    await redis.call('ACL', 'SETUSER', user, 'on', '>pw', 'resetkeys', `~${key}`, '+@all', '-eval', '-evalsha');
    const noScripts = new Redis(testRedisUrl(), { username: user, password: 'pw' });
    try {
      await new RedisStreamWriter(redis, key, 10).write([entry('*', 1), entry('*', 2)]);
      await new RedisStreamWriter(noScripts, key, 10).write([entry('*', 3)]);
      await waitFor(async () => xadds.length >= 3, { timeoutMs: 5_000, message: 'three XADDs seen by MONITOR' });
      expect(xadds).toEqual([
        ['MAXLEN', '~', '10'],
        ['MAXLEN', '~', '10'],
        ['MAXLEN', '~', '10'],
      ]);
    } finally {
      noScripts.disconnect();
      monitor.disconnect();
      watcher.disconnect();
      await redis.call('ACL', 'DELUSER', user);
    }
  });

  it('falls back to MULTI/EXEC for a user whose ACL forbids scripts', async () => {
    const user = `noscript-${randomSuffix()}`;
    await redis.call('ACL', 'SETUSER', user, 'on', '>pw', 'resetkeys', `~${key}`, '+@all', '-eval', '-evalsha');
    const client = new Redis(testRedisUrl(), { username: user, password: 'pw' });
    try {
      await expect(client.eval('return 1', 0)).rejects.toThrow(/NOPERM/);
      const writer = new RedisStreamWriter(client, key, null);
      expect(await writer.write([entry('*', 1), entry('*', 2)])).toEqual([{ ok: true }, { ok: true }]);
      expect(await writer.write([entry('*', 3)])).toEqual([{ ok: true }]);
      expect(await values()).toEqual(['1', '2', '3']);
    } finally {
      client.disconnect();
      await redis.call('ACL', 'DELUSER', user);
    }
  });

  describe('several batches in one call', () => {
    /** Like a message's fields: the last one (metadata) names the entry. */
    const named = (n: number, id = '*'): StreamEntry =>
      streamEntry(id, ['n', String(n), 'metadata', `{"n":${n},"é":"ü"}`]);
    const values = async (): Promise<string[]> => (await redis.xrange(key, '-', '+')).map(([, fields]) => fields[1]!);

    it('writes many batches in one call, in order, multi-byte text intact', async () => {
      const batch = Array.from({ length: 1000 }, (_, n) => named(n));
      expect(await new RedisStreamWriter(redis, key, null).write(batch, 50)).toEqual(batch.map(() => ({ ok: true })));
      expect(await values()).toEqual(batch.map((_, n) => String(n)));
      const [[, fields]] = await redis.xrange(key, '-', '+', 'COUNT', 1);
      expect(fields).toEqual(fieldsOf(named(0)));
    });

    it('a batch that stops short keeps every later batch of the call out', async () => {
      const batch = Array.from({ length: 30 }, (_, n) => named(n));
      batch[12] = named(12, 'not-an-id');
      const outcomes = await new RedisStreamWriter(redis, key, null).write(batch, 10);
      expect(outcomes.slice(0, 12).every((o) => o.ok)).toBe(true);
      expect(outcomes[12]).toMatchObject({ ok: false, error: expect.stringMatching(/Invalid stream ID/) });
      for (const outcome of outcomes.slice(13)) {
        expect(outcome).toEqual({
          ok: false,
          error: expect.stringMatching(/^not attempted: .*\(ERR Invalid stream ID/),
        });
      }
      expect(await values()).toEqual(Array.from({ length: 12 }, (_, n) => String(n)));
    });

    it('another writer adding between two batches: the rest is sent again, nothing lost or doubled', async () => {
      const other = new Redis(testRedisUrl());
      try {
        // The other writer adds an entry whenever this one's stream has grown, as fast as it can.
        let stop = false;
        const interloper = (async () => {
          while (!stop) await other.xadd(key, '*', 'n', 'other', 'metadata', '{}');
        })();
        const batch = Array.from({ length: 2000 }, (_, n) => named(n));
        const outcomes = await new RedisStreamWriter(redis, key, null).write(batch, 10);
        stop = true;
        await interloper;
        expect(outcomes.every((o) => o.ok)).toBe(true);
        expect((await values()).filter((v) => v !== 'other')).toEqual(batch.map((_, n) => String(n)));
      } finally {
        other.disconnect();
      }
    });

    it('a batch fenced out after one that ran through is sent again (its top entry was not its own)', async () => {
      // The first batch's only entry is refused as below the stream's top, so the top is not the
      // fence the second batch carries: the second is fenced out, then sent again on its own.
      const top = await redis.xadd(key, '500-0', 'n', 'top', 'metadata', '{}');
      const outcomes = await new RedisStreamWriter(redis, key, null).write([named(1, '100-0'), named(2)], 1);
      expect(outcomes[0]).toMatchObject({ ok: false, error: expect.stringMatching(/^XADD 100-0 refused/) });
      expect(outcomes[1]).toEqual({ ok: true });
      const ids = (await redis.xrange(key, '-', '+')).map(([id]) => id);
      expect(ids[0]).toBe(top);
      expect(await values()).toEqual(['top', '2']);
    });

    it('loads the script again after Redis lost it', async () => {
      const writer = new RedisStreamWriter(redis, key, null);
      await writer.write([named(1)]);
      await redis.script('FLUSH');
      expect(await writer.write([named(2), named(3)], 1)).toEqual([{ ok: true }, { ok: true }]);
      expect(await values()).toEqual(['1', '2', '3']);
    });
  });
});

/** On a private Redis: its script cache is flushed, which on the shared test Redis would disturb other suites. */
describe('RedisStreamWriter when Redis lost its scripts', () => {
  let dir: string;
  let server: RedisServer;
  let redis: Redis;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-writer-scripts-'));
    server = await startRedisServer({ dir });
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the script again and writes every entry once', async () => {
    const writer = new RedisStreamWriter(redis, 'lost-scripts', null);
    const loads = jest.spyOn(redis, 'script');
    expect(await writer.write([streamEntry('*', ['n', '1'])])).toEqual([{ ok: true }]);
    await redis.script('FLUSH');
    expect(await writer.write([streamEntry('*', ['n', '2']), streamEntry('*', ['n', '3'])], 1)).toEqual([
      { ok: true },
      { ok: true },
    ]);
    expect((await redis.xrange('lost-scripts', '-', '+')).map(([, fields]) => fields[1])).toEqual(['1', '2', '3']);
    expect(loads.mock.calls.filter(([command]) => command === 'LOAD')).toHaveLength(2);
  });
});
