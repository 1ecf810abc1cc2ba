import { Redis } from 'ioredis';
import { randomSuffix, testRedisUrl } from '#testing/databases.js';
import { RedisStringWriter, type StringCommand } from './redis-string-writer.js';

/** Runs of SETs and DELs against the test Redis, with an ACL user that may write only some keys. */
describe('RedisStringWriter', () => {
  const redis = new Redis(testRedisUrl());
  let prefix: string;
  let user: string;
  let client: Redis;

  /** A user that may touch `<prefix>ok*` only; `extra` adds ACL rules. */
  const connectAs = async (...extra: string[]): Promise<RedisStringWriter> => {
    await redis.call('ACL', 'SETUSER', user, 'on', '>pw', 'resetkeys', `~${prefix}ok*`, '+@all', ...extra);
    client = new Redis(testRedisUrl(), { username: user, password: 'pw' });
    return new RedisStringWriter(client);
  };
  const set = (key: string, value: string, expireMs: number | null = null): StringCommand => ({
    op: 'set',
    key: prefix + key,
    value,
    expireMs,
  });
  const del = (key: string): StringCommand => ({ op: 'del', key: prefix + key });
  const refused = { ok: false, error: expect.stringContaining('NOPERM'), refused: true };
  const get = (key: string) => redis.get(prefix + key);

  beforeEach(() => {
    prefix = `string-writer-${randomSuffix()}:`;
    user = `string-writer-${randomSuffix()}`;
  });
  afterEach(async () => {
    client?.disconnect();
    await redis.call('ACL', 'DELUSER', user);
  });
  afterAll(() => redis.disconnect());

  it('applies a block of distinct keys, and a key the ACL refuses fails alone', async () => {
    const writer = await connectAs();
    await redis.set(`${prefix}ok3`, 'old');
    const outcomes = await writer.apply([
      set('ok1', 'a'),
      set('bad1', 'b'),
      set('ok2', 'c'),
      del('ok3'),
      del('bad2'),
      set('ok4', 'd', 60_000),
      set('ok5', 'e'),
    ]);
    expect(outcomes).toEqual([{ ok: true }, refused, { ok: true }, { ok: true }, refused, { ok: true }, { ok: true }]);
    expect(await Promise.all(['ok1', 'bad1', 'ok2', 'ok3', 'ok4', 'ok5'].map(get))).toEqual([
      'a',
      null,
      'c',
      null,
      'd',
      'e',
    ]);
    expect(await redis.pttl(`${prefix}ok4`)).toBeGreaterThan(50_000);
  });

  it('keeps the order of a block that touches a key twice when another key is refused', async () => {
    const writer = await connectAs();
    const outcomes = await writer.apply([
      set('ok1', 'a'),
      set('bad', 'b'),
      del('ok1'),
      set('ok2', 'c'),
      set('ok2', 'd'),
    ]);
    expect(outcomes).toEqual([{ ok: true }, refused, { ok: true }, { ok: true }, { ok: true }]);
    expect([await get('ok1'), await get('ok2')]).toEqual([null, 'd']);
  });

  it('writes plain SETs for a user who may not run MSET, and stops trying it', async () => {
    const writer = await connectAs('-mset');
    expect(await writer.apply([set('ok1', 'a'), set('ok2', 'b')])).toEqual([{ ok: true }, { ok: true }]);
    expect(await writer.apply([set('ok3', 'c'), set('ok4', 'd')])).toEqual([{ ok: true }, { ok: true }]);
    expect(await Promise.all(['ok1', 'ok2', 'ok3', 'ok4'].map(get))).toEqual(['a', 'b', 'c', 'd']);
    // ACL LOG counts repeated denials of the same command by the same user in one entry.
    const log = (await redis.call('ACL', 'LOG')) as unknown[][];
    const denials = log
      .map((entry) => Object.fromEntries(chunks(entry)) as Record<string, unknown>)
      .filter((entry) => entry['username'] === user && entry['object'] === 'mset');
    expect(denials.map((entry) => entry['count'])).toEqual([1]);
  });
});

function chunks(entry: unknown[]): Array<[string, unknown]> {
  const pairs: Array<[string, unknown]> = [];
  for (let i = 0; i + 1 < entry.length; i += 2) pairs.push([String(entry[i]), entry[i + 1]]);
  return pairs;
}
