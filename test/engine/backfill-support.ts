import pg from 'pg';
import { waitFor } from '#testing/databases.js';
import type { EngineStack } from '#testing/engine.js';

export interface BackfillView {
  id: string;
  state: string;
  table: string;
  rows_initial_count: number | null;
  rows_processed_count: number;
  rows_ingested_count: number;
  completed_at: string | null;
  error: string | null;
}

async function call<T>(stack: EngineStack, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${stack.api.baseUrl}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.api.bootstrapToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json()) as T;
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${JSON.stringify(json)}`);
  return json;
}

export const createBackfill = (stack: EngineStack, sink: string, body: Record<string, unknown> = {}) =>
  call<BackfillView>(stack, 'POST', `/sinks/${sink}/backfills`, body);

export const getBackfill = (stack: EngineStack, sink: string, id: string) =>
  call<BackfillView>(stack, 'GET', `/sinks/${sink}/backfills/${id}`);

export const setBackfillState = (stack: EngineStack, sink: string, id: string, state: string) =>
  call<BackfillView>(stack, 'PATCH', `/sinks/${sink}/backfills/${id}`, { state });

/** The backfill once `done` says so (e.g. its state is completed). */
export function waitForBackfill(
  stack: EngineStack,
  sink: string,
  id: string,
  done: (backfill: BackfillView) => boolean,
  timeoutMs = 60_000,
): Promise<BackfillView> {
  let last: BackfillView | undefined;
  return waitFor(
    async () => {
      last = await getBackfill(stack, sink, id);
      return done(last) ? last : undefined;
    },
    { timeoutMs, message: () => `backfill ${id}: ${JSON.stringify(last)}` },
  );
}

export interface Mutator {
  /** Stops and resolves with how many statements it committed. */
  stop(): Promise<number>;
}

/**
 * Other connections (`connections` of them) changing random rows of `table (id int PRIMARY KEY, v int,
 * …)` as fast as they can: updates and deletes of ids up to `maxId`, and inserts of new ids, each in
 * its own transaction. One connection's commits wait for a WAL flush each, which on a busy machine
 * let a fast backfill finish with fewer than 200 changes made under it.
 */
export function startMutator(url: string, table: string, maxId: number, connections = 4): Mutator {
  let running = true;
  let committed = 0;
  let nextId = 0;
  const mutate = async (client: pg.Client): Promise<void> => {
    while (running) {
      const id = 1 + Math.floor(Math.random() * maxId);
      const roll = Math.random();
      if (roll < 0.6) await client.query(`UPDATE ${table} SET v = v + 1 WHERE id = $1`, [id]);
      else if (roll < 0.85) await client.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
      else await client.query(`INSERT INTO ${table} (id, v) VALUES ($1, 0)`, [nextId++]);
      committed++;
    }
  };
  const done = (async () => {
    const clients = Array.from({ length: connections }, () => new pg.Client(url));
    try {
      await Promise.all(clients.map((client) => client.connect()));
      const { rows } = await clients[0]!.query<{ max: number }>(`SELECT coalesce(max(id), 0) AS max FROM ${table}`);
      nextId = rows[0]!.max + 1;
      await Promise.all(clients.map(mutate));
    } finally {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return committed;
    },
  };
}
