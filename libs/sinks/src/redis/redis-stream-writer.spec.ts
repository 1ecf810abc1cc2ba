import { Redis } from 'ioredis';
import { randomSuffix, testRedisUrl } from '#testing/databases.js';
import { hasLsnStreamId } from './redis-stream-delivery.js';
import { RedisStreamWriter, type StreamEntry } from './redis-stream-writer.js';

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
      return { id: `${lsn}-${idx}`, fields: ['metadata', JSON.stringify({ commit_lsn: lsn, commit_idx: idx })] };
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
