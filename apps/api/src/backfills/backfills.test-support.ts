import type { components } from '#testing/api-schema.js';
import { createSourceDatabase, randomSuffix, type SourceDatabase } from '#testing/databases.js';
import type { ApiClient } from '#testing/test-api.js';
import { type CreateSinkBody, redisStream } from '../sinks/sinks.test-support.js';

export type BackfillBody = components['schemas']['BackfillDto'];
export type CreateBackfillBody = components['schemas']['CreateBackfillDto'];

/**
 * A source with the tables these tests backfill: several with a primary key (one with a timestamp
 * to start a partial backfill at), and one without.
 */
export async function createBackfillSource(): Promise<SourceDatabase> {
  const source = await createSourceDatabase();
  await source.client.query(`
    CREATE TABLE public.orders (id int PRIMARY KEY, customer_id int NOT NULL, placed_at timestamptz NOT NULL);
    CREATE TABLE public.users (id int PRIMARY KEY, email text);
    CREATE TABLE public.keyless (v int);
    CREATE SCHEMA billing;
    CREATE TABLE billing.invoices (id int, line int, amount numeric, PRIMARY KEY (id, line));`);
  return source;
}

/** Creates a sink (a redis_stream one unless `overrides` say otherwise); fails the test on a non-201. */
export async function createSink(client: ApiClient, overrides: Partial<CreateSinkBody> = {}) {
  const { data, error } = await client.POST('/api/sinks', {
    body: redisStream({ name: `sink-${randomSuffix()}`, ...overrides }),
  });
  if (!data) throw new Error(`sink create failed: ${JSON.stringify(error)}`);
  return data;
}

export const sinkPath = (sink: string) => ({ params: { path: { sink_id_or_name: sink } } });
export const backfillPath = (sink: string, id: string) => ({ params: { path: { sink_id_or_name: sink, id } } });

/** Starts a backfill; fails the test on a non-201. */
export async function createBackfill(client: ApiClient, sink: string, body: CreateBackfillBody = {}) {
  const { data, error } = await client.POST('/api/sinks/{sink_id_or_name}/backfills', { ...sinkPath(sink), body });
  if (!data) throw new Error(`backfill create failed: ${JSON.stringify(error)}`);
  return data;
}
