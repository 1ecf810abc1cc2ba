import { randomSuffix, waitFor } from '#testing/databases.js';
import { type EngineStack, readStream, startEngineStack } from '#testing/engine.js';

/** messages.md: invalid transaction annotations → null, and a health warning on the sinks. */
describe('engine: invalid transaction annotations', () => {
  let stack: EngineStack;

  beforeAll(async () => {
    stack = await startEngineStack(['CREATE TABLE annotated_items (id int PRIMARY KEY)']);
  });
  afterAll(() => stack?.close());

  it('delivers the change with null annotations and turns the sink’s health to warning, saying why', async () => {
    const streamKey = `annotations-${randomSuffix()}`;
    const sink = await stack.createSink({
      name: `annotations-${randomSuffix()}`,
      destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
    });
    const health = async () =>
      (await stack.api.client.GET('/api/sinks/{id_or_name}', { params: { path: { id_or_name: sink.id } } })).data!
        .health;
    await waitFor(async () => (await health()).status === 'healthy', { message: 'the sink to be healthy first' });

    await stack.source.client.query(`BEGIN;
      SELECT pg_logical_emit_message(true, 'sluice:transaction_annotations.set', 'not json');
      INSERT INTO annotated_items VALUES (1);
      COMMIT`);
    await waitFor(async () => (await stack.sinkRedis.xlen(streamKey)) === 1);
    const [entry] = await readStream(stack.sinkRedis, streamKey);
    expect(JSON.parse(entry!.fields.metadata!).transaction_annotations).toBeNull();

    const warned = await waitFor(async () => {
      const current = await health();
      return current.status === 'warning' ? current : undefined;
    });
    expect(warned.checks).toContainEqual({
      name: 'source_changes',
      status: 'warning',
      message: expect.stringMatching(/invalid transaction annotations \(sluice:transaction_annotations\.set\)/),
    });
  });
});
