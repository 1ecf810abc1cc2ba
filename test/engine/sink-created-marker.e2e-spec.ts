import { randomSuffix, waitFor } from '#testing/databases.js';
import { type EngineStack, type SinkResponse, startEngineStack } from '#testing/engine.js';

const TABLE = 'marker_items';
/** Well under the 10 s a reader waits for a sink whose creation it cannot tell the end of. */
const PROMPT_MS = 4_000;

/**
 * A sink's creation writes a marker into the source's WAL; the reader, meeting it, waits for the new
 * sink before routing further, and every other sink of the slot waits with it. It must wait only
 * while the creation's metadata transaction is open: a sink deleted right after it was created, or a
 * creation that failed after its marker (a name taken meanwhile), held the whole slot for 10 s.
 */
describe('engine: a sink creation that does not stay holds nothing up', () => {
  let stack: EngineStack;

  beforeAll(async () => {
    stack = await startEngineStack([`CREATE TABLE ${TABLE} (id int PRIMARY KEY, v int NOT NULL)`]);
  });
  afterAll(() => stack?.close());

  const storedSink = (name: string) =>
    stack.api.client.POST('/api/sinks', {
      body: {
        name,
        database: stack.databaseId,
        destination: { type: 'sequin_stream' },
        source: { include_tables: [TABLE] },
      },
    });

  /** A change written now reaches `sink` within PROMPT_MS. */
  const expectPrompt = async (sink: SinkResponse, id: number): Promise<void> => {
    await stack.source.client.query(`INSERT INTO ${TABLE} (id, v) VALUES ($1, 0)`, [id]);
    await waitFor(
      async () => (await stack.metadataQuery(`SELECT 1 FROM stream_messages WHERE sink_id = $1`, [sink.id])).length > 0,
      { timeoutMs: PROMPT_MS, intervalMs: 20, message: `change ${id} stored within ${PROMPT_MS} ms` },
    );
  };

  it('a sink deleted as soon as it was created', async () => {
    const watcher = await stack.createSink({
      name: `watcher-${randomSuffix()}`,
      destination: { type: 'sequin_stream' },
      source: { include_tables: [TABLE] },
    });
    await expectPrompt(watcher, 1);
    const gone = await stack.createSink({ name: `gone-${randomSuffix()}`, destination: { type: 'sequin_stream' } });
    const { response } = await stack.api.client.DELETE('/api/sinks/{id_or_name}', {
      params: { path: { id_or_name: gone.id } },
    });
    expect(response.status).toBe(200);
    await stack.metadataQuery(`DELETE FROM stream_messages WHERE sink_id = $1`, [watcher.id]);
    await expectPrompt(watcher, 2);
  });

  it('two creations with one name at once: the one refused after its marker', async () => {
    const name = `twin-${randomSuffix()}`;
    const answers = await Promise.all([storedSink(name), storedSink(name)]);
    expect(answers.map((a) => a.response.status).sort()).toEqual([201, 422]);
    const created = answers.find((a) => a.response.status === 201)!.data!;
    await expectPrompt(created, 3);
  });
});
