import { readFileSync } from 'node:fs';
import { randomSuffix } from '#testing/databases.js';
import { startEngineStack, type EngineStack } from '#testing/engine.js';
import { signupAccount } from '#testing/test-api.js';

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
}

const document = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8')) as OpenApiDocument;
const METHODS = ['get', 'put', 'patch', 'post', 'delete'];

/**
 * Every route of the document that addresses one resource by a path parameter. A route's resource
 * kind is the collection segment before its last parameter (`/api/sinks/{sink}/backfills/{id}`
 * addresses a backfill, `/api/sinks/{sink}/backfills` a sink); earlier parameters address parents.
 */
const resourceRoutes = Object.entries(document.paths).flatMap(([path, operations]) =>
  path.includes('{')
    ? Object.keys(operations)
        .filter((m) => METHODS.includes(m))
        .map((method) => ({ method, path }))
    : [],
);

/** Smallest bodies that pass validation, so that only the resource lookup can refuse the request. */
const BODIES: Record<string, unknown> = {
  '/messages/discard': { ids: ['00000000-0000-4000-8000-000000000000'] },
  '/ack': { ack_ids: ['00000000-0000-4000-8000-000000000000'] },
  '/nack': { ack_ids: ['00000000-0000-4000-8000-000000000000'] },
  '/backfills/{id}': { state: 'cancelled' },
};

/** Each path parameter with the kind of resource it addresses (the segment before it). */
const parametersOf = (path: string) =>
  path
    .split('/')
    .flatMap((segment, index, segments) =>
      segment.startsWith('{') ? [{ parameter: segment, kind: segments[index - 1]! }] : [],
    );

const kindOf = (path: string): string => parametersOf(path).at(-1)!.kind;

/** Where the owner lists a kind of resource (pull routes address sinks); nested lists are added once created. */
const LIST_OF: Record<string, string> = { sequin_streams: 'sinks', http_pull_consumers: 'sinks' };

describe('tenancy: another account cannot reach any resource, by id or by name', () => {
  let stack: EngineStack;
  const ids: Record<string, string> = {};
  const names: Record<string, string> = {};

  beforeAll(async () => {
    stack = await startEngineStack(['CREATE TABLE t (id int PRIMARY KEY)']);
    const sink = await stack.createSink({
      name: `sink-${randomSuffix()}`,
      destination: {
        type: 'redis_stream',
        host: '127.0.0.1',
        port: stack.sinkRedisPort,
        stream_key: `tenancy-${randomSuffix()}`,
      },
    });
    const stream = await stack.createSink({ name: `pull-${randomSuffix()}`, destination: { type: 'sequin_stream' } });
    const key = await stack.api.client.POST('/api/api_keys', { body: { name: 'kept' } });
    const backfill = await stack.api.client.POST('/api/sinks/{sink_id_or_name}/backfills', {
      params: { path: { sink_id_or_name: sink.id } },
      body: { table: 't' },
    });
    ids.backfills = backfill.data!.id;
    LIST_OF.backfills = `sinks/${sink.id}/backfills`;
    ids.postgres_databases = stack.databaseId;
    names.postgres_databases = stack.databaseName;
    ids.sinks = sink.id;
    names.sinks = sink.name;
    ids.api_keys = key.data!.id;
    for (const kind of ['sequin_streams', 'http_pull_consumers']) {
      ids[kind] = stream.id;
      names[kind] = stream.name;
    }
  });
  afterAll(() => stack.close());

  it('covers every resource route of the OpenAPI document', () => {
    const kinds = new Set(resourceRoutes.map(({ path }) => kindOf(path)));
    for (const kind of kinds) expect(ids).toHaveProperty(kind);
  });

  it.each(resourceRoutes)('$method $path → 404 for another account', async ({ method, path }) => {
    const other = await signupAccount(stack.api);
    const kind = kindOf(path);
    const body = Object.entries(BODIES).find(([end]) => path.endsWith(end))?.[1];
    const addresses = [ids[kind]!, ...(names[kind] ? [names[kind]!] : [])];
    for (const address of addresses) {
      // Parents are addressed by the owner's ids: only the account may make the difference.
      const resolved = parametersOf(path).reduce(
        (url, { parameter, kind: parent }) =>
          url.replace(parameter, encodeURIComponent(parent === kind ? address : ids[parent]!)),
        path,
      );
      const url = `${stack.api.baseUrl}${resolved}`;
      const response = await fetch(url, {
        method: method.toUpperCase(),
        headers: { authorization: `Bearer ${other.token}`, 'content-type': 'application/json' },
        body: ['put', 'patch', 'post'].includes(method) ? JSON.stringify(body ?? {}) : undefined,
      });
      expect({ address, status: response.status }).toEqual({ address, status: 404 });
      expect(await response.json()).toEqual({ summary: expect.any(String) });
    }
    // The owner still sees the resource untouched.
    const owner = await fetch(`${stack.api.baseUrl}/api/${LIST_OF[kind] ?? kind}`, {
      headers: { authorization: `Bearer ${stack.api.bootstrapToken}` },
    });
    expect(JSON.stringify(await owner.json())).toContain(ids[kind]!);
  });

  it('lists show only the caller’s own resources', async () => {
    const other = await signupAccount(stack.api);
    for (const list of ['/api/postgres_databases', '/api/sinks', '/api/api_keys'] as const) {
      const body = JSON.stringify((await other.client.GET(list)).data);
      for (const id of Object.values(ids)) expect(body).not.toContain(id);
    }
  });
});
