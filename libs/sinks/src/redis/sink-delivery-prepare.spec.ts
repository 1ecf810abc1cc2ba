import { jest } from '@jest/globals';
import { Redis } from 'ioredis';
import type { StoredRedisStreamDestination, StoredRedisStringDestination } from '#core/entities/sink-destination.js';
import { testRedisUrl, waitFor } from '#testing/databases.js';
import { connectSinkRedis } from './redis-connection.js';
import { RedisStreamDelivery } from './redis-stream-delivery.js';
import { StreamEntryEncoder } from './redis-stream-writer.js';
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
  /** Closed after each case, passed or failed: an open client would keep jest from exiting. */
  const opened: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((delivery) => delivery.close()));
  });
  const track = <D extends { close(): Promise<void> }>(delivery: D): D => (opened.push(delivery), delivery);

  /** This connection's last command as Redis saw it (the script cache is shared with other suites). */
  const lastCommandOf = async (name: string): Promise<string | undefined> => {
    const clients = (await admin.call('CLIENT', 'LIST')) as string;
    const line = clients.split('\n').find((l) => l.includes(` name=${name} `));
    return /\bcmd=(\S+)/.exec(line ?? '')?.[1];
  };

  it('connects a Redis Stream sink and loads its script', async () => {
    const client = connectSinkRedis(connection, 'prepare-spec-stream');
    const delivery = track(new RedisStreamDelivery(streamDestination, client));
    expect(client.status).toBe('wait'); // lazy: nothing happens before prepare() or a call
    delivery.prepare();
    await waitFor(
      async () => client.status === 'ready' && (await lastCommandOf('prepare-spec-stream')) === 'script|load',
    );
  });

  it('loads the script once when the first call comes before prepare() has its answer', async () => {
    const client = connectSinkRedis(connection, 'prepare-spec-once');
    const delivery = track(new RedisStreamDelivery({ ...streamDestination, stream_key: 'prepare-spec-once' }, client));
    const loads = jest.spyOn(client, 'script');
    delivery.prepare();
    const entry = new StreamEntryEncoder().entry('*', ['record', '{}']);
    expect(await delivery.deliver([entry])).toEqual([{ ok: true }]);
    expect(loads).toHaveBeenCalledTimes(1);
  });

  it('connects a Redis String sink', async () => {
    const client = connectSinkRedis(connection, 'prepare-spec-string');
    const delivery = track(new RedisStringDelivery({} as StoredRedisStringDestination, client));
    expect(client.status).toBe('wait');
    delivery.prepare();
    await waitFor(async () => client.status === 'ready');
  });

  it('throws nothing when the Redis is unreachable: the first call reports the failure', async () => {
    const client = connectSinkRedis({ ...connection, port: 1 }, 'prepare-spec-down');
    const delivery = track(new RedisStreamDelivery(streamDestination, client));
    delivery.prepare();
    const entry = new StreamEntryEncoder().entry('*', ['record', '{}']);
    const [outcome] = await delivery.deliver([entry]);
    expect(outcome).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED|Connection is closed/) });
  });
});
