import { randomBytes } from 'node:crypto';
import type { components } from '#testing/api-schema.js';
import { waitFor } from '#testing/databases.js';
import { type EngineStack, type SinkCreate, type SinkResponse, startEngineStack } from '#testing/engine.js';
import { type Entry, entries, entriesWhenLength, summary } from './stream-entries.js';

type PatchBody = components['schemas']['PatchSinkDto'];

/**
 * Sinks changed through the API while the reader runs: scope and actions, pause and resume, disable
 * and re-enable. The API publishes a change and the running reader re-reads its sinks in stream order;
 * when exactly that happens is not observable from outside, so each test "probes": it keeps making a
 * change that only the new settings deliver until one arrives, and checks exact stream contents
 * before and after that point. Redis Streams keep one total order, so once a later change is in a
 * stream, anything routed to it before is there too.
 */
describe('engine: sinks changed while the reader runs', () => {
  let stack: EngineStack;
  const prefix = `routing-live-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    stack = await startEngineStack([
      `CREATE TABLE l_a (id int PRIMARY KEY, v text)`,
      `CREATE TABLE l_b (id int PRIMARY KEY, v text)`,
      `CREATE TABLE l_flow (id int PRIMARY KEY, v text)`,
      `CREATE TABLE l_probe (id int PRIMARY KEY, v text)`,
      `CREATE TABLE l_grouped (id int PRIMARY KEY, tenant text NOT NULL)`,
    ]);
  });
  afterAll(() => stack.close());

  async function streamSink(name: string, fields: Omit<SinkCreate, 'name' | 'destination' | 'database'> = {}) {
    const streamKey = `${prefix}-${name}`;
    const sink = await stack.createSink({
      name,
      destination: { type: 'redis_stream', host: '127.0.0.1', port: stack.sinkRedisPort, stream_key: streamKey },
      ...fields,
    });
    return { sink, streamKey };
  }

  async function patch(sink: SinkResponse, body: PatchBody): Promise<void> {
    const { response, error } = await stack.api.client.PATCH('/api/sinks/{id_or_name}', {
      params: { path: { id_or_name: sink.id } },
      body,
    });
    expect({ status: response.status, error }).toEqual({ status: 200, error: undefined });
  }

  const sql = (text: string, values: unknown[] = []) => stack.source.client.query(text, values);

  /**
   * Repeats `write(n)` (n = 0, 1, …) until `arrived(entry, k)` finds the change of some attempt k in
   * `streamKey`. Returns the first attempt that arrived and the last one made: the settings took
   * effect between attempts first − 1 and first, so every attempt from first to last is delivered.
   */
  async function probe(
    streamKey: string,
    write: (n: number) => Promise<unknown>,
    arrived: (entry: Entry, n: number) => boolean,
  ): Promise<{ first: number; last: number }> {
    const deadline = Date.now() + 20_000;
    for (let n = 0; ; n++) {
      await write(n);
      const found = await waitFor(
        async () => {
          const list = await entries(stack, streamKey);
          for (let k = 0; k <= n; k++) if (list.some((e) => arrived(e, k))) return { k };
          return undefined;
        },
        { timeoutMs: 300 },
      ).catch(() => undefined);
      if (found) return { first: found.k, last: n };
      if (Date.now() > deadline) throw new Error(`the new settings never took effect (${streamKey})`);
    }
  }

  it('applies a PATCH of source.include_tables to the changes that follow, without a restart', async () => {
    const s = await streamSink('scope', { source: { include_tables: ['l_a'] } });
    await sql(`INSERT INTO l_a VALUES (1, 'a1')`);
    await sql(`INSERT INTO l_b VALUES (1, 'b1')`);
    await sql(`INSERT INTO l_a VALUES (2, 'a2')`);
    expect(summary(await entriesWhenLength(stack, s.streamKey, 2))).toEqual([
      'public.l_a insert 1',
      'public.l_a insert 2',
    ]);

    await patch(s.sink, { source: { include_tables: ['l_b'] } });
    const { first } = await probe(
      s.streamKey,
      (n) => sql(`INSERT INTO l_b VALUES ($1, 'probe')`, [100 + n]),
      (e, n) => e.table === 'public.l_b' && e.record.id === 100 + n,
    );
    const probes = await sql(`SELECT id FROM l_b WHERE id >= $1 ORDER BY id`, [100 + first]);
    await sql(`BEGIN`);
    await sql(`INSERT INTO l_a VALUES (3, 'a3')`);
    await sql(`INSERT INTO l_b VALUES (3, 'b3')`);
    await sql(`COMMIT`);
    await sql(`UPDATE l_a SET v = 'a1*' WHERE id = 1`);
    await sql(`INSERT INTO l_b VALUES (4, 'b4')`);

    const expected = [
      'public.l_a insert 1',
      'public.l_a insert 2',
      ...probes.rows.map((r) => `public.l_b insert ${r.id}`),
      'public.l_b insert 3',
      'public.l_b insert 4',
    ];
    expect(summary(await entriesWhenLength(stack, s.streamKey, expected.length))).toEqual(expected);
  });

  it('applies a PATCH of actions to the changes that follow, without a restart', async () => {
    const s = await streamSink('actions', { source: { include_tables: ['l_probe'] }, actions: ['insert'] });
    await sql(`INSERT INTO l_probe VALUES (1, 'p1')`);
    await sql(`UPDATE l_probe SET v = 'p1*' WHERE id = 1`);
    await sql(`DELETE FROM l_probe WHERE id = 1`);
    await sql(`INSERT INTO l_probe VALUES (2, 'p2')`);
    expect(summary(await entriesWhenLength(stack, s.streamKey, 2))).toEqual([
      'public.l_probe insert 1',
      'public.l_probe insert 2',
    ]);

    await patch(s.sink, { actions: ['update', 'delete'] });
    const { first, last } = await probe(
      s.streamKey,
      (n) => sql(`UPDATE l_probe SET v = $1 WHERE id = 2`, [`probe ${n}`]),
      (e, n) => e.action === 'update' && e.record.v === `probe ${n}`,
    );
    await sql(`INSERT INTO l_probe VALUES (3, 'p3')`);
    await sql(`UPDATE l_probe SET v = 'p3*' WHERE id = 3`);
    await sql(`DELETE FROM l_probe WHERE id = 2`);

    const probes = Array.from({ length: last - first + 1 }, (_, i) => `probe ${first + i}`);
    const expected = [
      'public.l_probe insert 1',
      'public.l_probe insert 2',
      ...probes.map(() => 'public.l_probe update 2'),
      'public.l_probe update 3',
      'public.l_probe delete 2',
    ];
    const list = await entriesWhenLength(stack, s.streamKey, expected.length);
    expect(summary(list)).toEqual(expected);
    expect(list.filter((e) => e.action === 'update' && e.record.id === 2).map((e) => e.record.v)).toEqual(probes);
  });

  it('buffers a paused sink without loss or slot movement past it, and delivers all in order once active; a disabled sink skips what happens meanwhile', async () => {
    // `reference` takes every change of l_flow; `helper` only exists to tell when a reload happened.
    const reference = await streamSink('flow-reference', { source: { include_tables: ['l_flow'] } });
    const paused = await streamSink('flow-paused', { source: { include_tables: ['l_flow'] }, status: 'paused' });
    const disabled = await streamSink('flow-disabled', { source: { include_tables: ['l_flow'] } });
    const helper = await streamSink('flow-helper', { source: { include_tables: ['l_a'] }, actions: ['insert'] });
    const keys = (list: Entry[]) => list.map((e) => e.metadata.idempotency_key);
    const ids = (list: Entry[]) => list.map((e) => e.record.id);

    for (let id = 1; id <= 5; id++) await sql(`INSERT INTO l_flow VALUES ($1, 'phase 1')`, [id]);
    const phase1 = await entriesWhenLength(stack, reference.streamKey, 5);
    expect(ids(phase1)).toEqual([1, 2, 3, 4, 5]);
    expect(ids(await entriesWhenLength(stack, disabled.streamKey, 5))).toEqual([1, 2, 3, 4, 5]);
    expect(await stack.sinkRedis.xlen(paused.streamKey)).toBe(0);
    // The slot may not move past what the paused sink still holds.
    expect(await stack.confirmedFlushLsn()).toBeLessThanOrEqual(BigInt(phase1[0]!.metadata.commit_lsn));

    // Disable, then make sure the reader has re-read its sinks: a PATCH of the helper saved after the
    // disable shows up in the helper's stream only after a reload that read both.
    await patch(disabled.sink, { status: 'disabled' });
    await patch(helper.sink, { actions: ['insert', 'update'] });
    await sql(`INSERT INTO l_a VALUES (1000, 'x') ON CONFLICT (id) DO NOTHING`);
    await probe(
      helper.streamKey,
      (n) => sql(`UPDATE l_a SET v = $1 WHERE id = 1000`, [`probe ${n}`]),
      (e, n) => e.action === 'update' && e.record.v === `probe ${n}`,
    );
    for (let id = 6; id <= 8; id++) await sql(`INSERT INTO l_flow VALUES ($1, 'while disabled')`, [id]);
    expect(ids(await entriesWhenLength(stack, reference.streamKey, 8))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await stack.sinkRedis.xlen(paused.streamKey)).toBe(0);

    // Resume: everything buffered arrives, in commit order, exactly once.
    await patch(paused.sink, { status: 'active' });
    const all = await entries(stack, reference.streamKey);
    const resumed = await entriesWhenLength(stack, paused.streamKey, 8);
    expect(keys(resumed)).toEqual(keys(all));
    expect(resumed.map((e) => e.record)).toEqual(all.map((e) => e.record));

    // Re-enable: the sink continues with changes read after the reload; what was committed while it
    // was disabled is skipped (it is not replayed: the slot has moved past it).
    await patch(disabled.sink, { status: 'active' });
    const { first } = await probe(
      disabled.streamKey,
      (n) => sql(`INSERT INTO l_flow VALUES ($1, 'after')`, [100 + n]),
      (e, n) => e.record.id === 100 + n,
    );
    await sql(`INSERT INTO l_flow VALUES (200, 'last')`);
    const afterIds = (await sql(`SELECT id FROM l_flow WHERE id >= $1 ORDER BY id`, [100 + first])).rows.map(
      (r) => r.id,
    );
    const expected = [1, 2, 3, 4, 5, ...afterIds];
    expect(ids(await entriesWhenLength(stack, disabled.streamKey, expected.length))).toEqual(expected);

    // Nothing is held back any more: the slot moves past the last write.
    const { rows } = await sql(`SELECT (pg_current_wal_insert_lsn() - '0/0')::text AS lsn`);
    const target = BigInt(rows[0]!.lsn);
    await waitFor(async () => (await stack.confirmedFlushLsn()) >= target, {
      timeoutMs: 30_000,
      message: 'the slot to move past everything once the paused sink delivered',
    });
    expect(ids(await entries(stack, paused.streamKey))).toEqual(ids(await entries(stack, reference.streamKey)));
  });

  it('applies a PATCH of tables (group_column_names) to the changes that follow, earlier ones keep their groups', async () => {
    const sink = await stack.createSink({
      name: 'regrouped',
      destination: { type: 'sequin_stream' },
      source: { include_tables: ['l_grouped'] },
    });
    const groups = async (): Promise<Array<string | null>> => {
      const { data } = await stack.api.client.GET('/api/sinks/{id_or_name}/messages', {
        params: { path: { id_or_name: sink.id }, query: { state: 'pending', limit: 1000 } },
      });
      return data!.data.map((m) => m.group_id);
    };
    await sql(`INSERT INTO l_grouped VALUES (1, 'acme')`);
    await waitFor(async () => (await groups()).length === 1, { message: 'the first change stored' });
    await patch(sink, { tables: [{ name: 'l_grouped', group_column_names: ['tenant'] }] });

    /** Inserts acme rows 2, 3, … until one is stored in the tenant's group; the groups stored by then. */
    const regrouped = async (): Promise<Array<string | null>> => {
      const deadline = Date.now() + 20_000;
      for (let n = 2; ; n++) {
        await sql(`INSERT INTO l_grouped VALUES ($1, 'acme')`, [n]);
        const stored = await waitFor(
          async () => {
            const list = await groups();
            return list.length === n ? list : undefined;
          },
          { message: `change ${n} stored` },
        );
        if (stored.at(-1) === 'public.l_grouped:acme') return stored;
        if (Date.now() > deadline) throw new Error(`the new grouping never took effect: ${JSON.stringify(stored)}`);
      }
    };
    const stored = await regrouped();
    // Before the reload, each row its own group; from it on, the tenant's; none in between.
    const switched = stored.indexOf('public.l_grouped:acme');
    expect(stored.slice(0, switched)).toEqual(stored.slice(0, switched).map((_, i) => `public.l_grouped:${i + 1}`));
    expect(stored.slice(switched).every((group) => group === 'public.l_grouped:acme')).toBe(true);
    await sql(`INSERT INTO l_grouped VALUES (1000, 'other')`);
    await waitFor(async () => (await groups()).at(-1) === 'public.l_grouped:other', {
      message: 'a later change grouped by its tenant',
    });
  });
});
