import { Redis } from 'ioredis';
import type { StoredRedisStreamDestination, StoredRedisStringDestination } from '#core/entities/sink-destination.js';
import { testRedisUrl, waitFor } from '#testing/databases.js';
import { connectSinkRedis } from './redis-connection.js';
import { RedisStreamDelivery } from './redis-stream-delivery.js';
import { StreamEntryEncoder, XADD_BATCH_SHA } from './redis-stream-writer.js';
import { RedisStringDelivery } from './redis-string-delivery.js';

/** prepare() does a delivery's first round trips before its first call, with nothing to deliver yet. */
describe('SinkDelivery.prepare', () => {
  const url = new URL(testRedisUrl());
  const connection = { host: url.hostname, port: Number(url.port), database: 0, tls: false };
  const streamDestination = {
    stream_key: 'prepare-spec',
    max_len: null,
    stream_id_mode: 'auto',
  } as unknown as StoredRedisStreamDestination;
  const admin = new Redis(testRedisUrl());
  afterAll(() => admin.disconnect());

  it('connects a Redis Stream sink and loads its script', async () => {
    await admin.script('FLUSH');
    const client = connectSinkRedis(connection, 'prepare-spec-stream');
    const delivery = new RedisStreamDelivery(streamDestination, client);
    expect(client.status).toBe('wait'); // lazy: nothing happens before prepare() or a call
    delivery.prepare();
    await waitFor(async () => client.status === 'ready');
    await waitFor(async () => ((await admin.script('EXISTS', XADD_BATCH_SHA)) as number[])[0] === 1);
    await delivery.close();
  });

  it('connects a Redis String sink', async () => {
    const client = connectSinkRedis(connection, 'prepare-spec-string');
    const delivery = new RedisStringDelivery({} as StoredRedisStringDestination, client);
    expect(client.status).toBe('wait');
    delivery.prepare();
    await waitFor(async () => client.status === 'ready');
    await delivery.close();
  });

  it('leaves a failure to the calls: with the Redis unreachable, the call reports it', async () => {
    const client = connectSinkRedis({ ...connection, port: 1 }, 'prepare-spec-down');
    const delivery = new RedisStreamDelivery(streamDestination, client);
    delivery.prepare();
    const entry = new StreamEntryEncoder().entry('*', ['record', '{}']);
    const [outcome] = await delivery.deliver([entry]);
    expect(outcome).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED|Connection is closed/) });
    await delivery.close();
  });
});
