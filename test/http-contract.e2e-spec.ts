import { jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { waitFor, withClient } from '#testing/databases.js';
import { startTestApi, type TestApi } from '#testing/test-api.js';

const post = (api: TestApi, path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${api.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.bootstrapToken}`, 'content-type': 'application/json', ...headers },
    body,
  });

describe('HTTP contract: errors, OpenAPI, health, metrics', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it.each([
    ['malformed JSON', '{"name":', {}, 400],
    ['a JSON array body', '[1, 2]', {}, 400],
    ['a JSON string body', '"acme"', {}, 400],
    ['a text/plain body', 'name=acme', { 'content-type': 'text/plain' }, 400],
    ['a form body', 'name=acme', { 'content-type': 'application/x-www-form-urlencoded' }, 400],
    ['a body over 1 MiB', JSON.stringify({ name: 'x'.repeat(1024 * 1024) }), {}, 413],
  ])('answers %s with %#: the spec shape and nothing written', async (_label, body, headers, status) => {
    const before = (await api.client.GET('/api/api_keys')).data!.data.length;
    const response = await post(api, '/api/api_keys', body, headers);
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ summary: expect.any(String) });
    expect((await api.client.GET('/api/api_keys')).data!.data).toHaveLength(before);
  });

  it.each([
    ['malformed JSON', '{"name":', {}],
    ['a text/plain body', 'name=acme', { 'content-type': 'text/plain' }],
    ['a body over 1 MiB', JSON.stringify({ name: 'x'.repeat(1024 * 1024) }), {}],
  ])('answers %s without a valid token with 401: authentication comes before the body', async (_l, body, headers) => {
    for (const authorization of ['', 'Bearer not-a-token']) {
      const response = await post(api, '/api/api_keys', body, { ...headers, authorization });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ summary: expect.any(String) });
    }
  });

  it('refuses a NUL character anywhere in a body with 422 naming the field, on every route', async () => {
    // Message ids went into a text[] query parameter (it was a 500); refused before the sink is looked up.
    const discard = await post(api, '/api/sinks/any-sink/messages/discard', JSON.stringify({ ids: ['a\u0000b'] }));
    expect(discard.status).toBe(422);
    expect(await discard.json()).toEqual({
      summary: 'Invalid request: ids.0 must not contain NUL characters',
      validation_errors: { ids: { 0: ['must not contain NUL characters'] } },
    });
    // Annotations are free-form JSON, stored as jsonb, which cannot hold U+0000 (it was a 500).
    const database = await post(
      api,
      '/api/postgres_databases',
      JSON.stringify({
        name: 'nul-annotations',
        url: 'postgresql://u:p@127.0.0.1:1/db',
        annotations: { team: { 'o\u0000wner': 'x' } },
        replication_slots: [{ publication_name: 'p', slot_name: 's' }],
      }),
    );
    expect(database.status).toBe(422);
    expect(((await database.json()) as { validation_errors: unknown }).validation_errors).toEqual({
      annotations: { team: ['must not contain NUL characters'] },
    });
  });

  it('refuses unknown fields and wrong types with 422 naming the field', async () => {
    const unknown = await post(api, '/api/api_keys', JSON.stringify({ name: 'k', colour: 'red' }));
    expect(unknown.status).toBe(422);
    expect(await unknown.json()).toEqual({
      summary: 'Unknown field: colour',
      validation_errors: { colour: ['unknown field'] },
    });
    for (const name of [42, null, true, ['k'], { n: 'k' }]) {
      const wrong = await post(api, '/api/api_keys', JSON.stringify({ name }));
      expect(wrong.status).toBe(422);
      expect(((await wrong.json()) as { validation_errors: unknown }).validation_errors).toEqual({
        name: [expect.any(String)],
      });
    }
    const missing = await post(api, '/api/api_keys', JSON.stringify({}));
    expect(missing.status).toBe(422);
  });

  it('answers unknown routes with 404 in the spec shape', async () => {
    const response = await fetch(`${api.baseUrl}/api/no_such_thing`, {
      headers: { authorization: `Bearer ${api.bootstrapToken}` },
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ summary: expect.any(String) });
  });

  it('serves the OpenAPI document publicly, identical to the committed openapi.json', async () => {
    const response = await fetch(`${api.baseUrl}/api/openapi.json`);
    expect(response.status).toBe(200);
    const served = (await response.json()) as { paths: Record<string, unknown> };
    const committed = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8'));
    // A difference means `npm run openapi` was not run after an API change.
    expect(served).toEqual(committed);
    expect(Object.keys(served.paths)).toEqual(
      expect.arrayContaining([
        '/api/accounts',
        '/api/account',
        '/api/api_keys',
        '/api/api_keys/{id}',
        '/health',
        '/metrics',
      ]),
    );
    // What a generated client types from it: integers as integers, ids as UUIDs, an opaque token.
    const document = served as unknown as {
      components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>> }> } & {
        securitySchemes: Record<string, { bearerFormat?: string }>;
      };
    };
    const sink = document.components.schemas.SinkDto!.properties;
    for (const field of ['batch_size', 'max_ack_pending', 'max_retry_count', 'ack_wait_ms', 'max_waiting']) {
      expect([field, sink[field]!.type]).toEqual([field, 'integer']);
    }
    expect(sink.id).toMatchObject({ type: 'string', format: 'uuid' });
    expect(document.components.schemas.AckRequestDto!.properties.ack_ids).toMatchObject({
      minItems: 1,
      items: { type: 'string', format: 'uuid' },
    });
    expect(document.components.securitySchemes.bearer!.bearerFormat).not.toBe('JWT');
    const numbers: string[] = [];
    const findNumbers = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      if ((node as { type?: unknown }).type === 'number') numbers.push(path);
      for (const [key, child] of Object.entries(node)) findNumbers(child, `${path}/${key}`);
    };
    findNumbers(served, '');
    // The one field that takes any number: a partial backfill's start position (of a numeric column).
    expect(numbers).toEqual(['/components/schemas/CreateBackfillDto/properties/start_position/oneOf/1']);
    const docs = await fetch(`${api.baseUrl}/api/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
  });

  it('reports health of Postgres and Redis', async () => {
    const response = await fetch(`${api.baseUrl}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  /** /health answers 503 naming `failing` and not `healthy`. */
  const expectUnhealthy = async (baseUrl: string, failing: string, healthy: string): Promise<void> => {
    const response = await fetch(`${baseUrl}/health`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      ok: false,
      summary: expect.stringContaining(failing),
      failed: { [failing]: expect.any(String) },
    });
    expect(body.failed).not.toHaveProperty(healthy);
  };

  it('answers 503 naming Redis when the internal Redis is unreachable, with nothing on stderr outside the log', async () => {
    const stderr = jest.spyOn(console, 'error');
    const broken = await startTestApi({ redisUrl: 'redis://127.0.0.1:1' });
    try {
      await expectUnhealthy(broken.baseUrl, 'redis', 'postgres');
      expect(stderr).not.toHaveBeenCalled(); // a queue without an 'error' listener prints each refusal there
    } finally {
      stderr.mockRestore();
      await broken.close();
    }
  });

  it('answers 503 naming Postgres while its metadata database refuses connections, and 200 once it is back', async () => {
    const cut = await startTestApi();
    const name = new URL(cut.config.databaseUrl).pathname.slice(1);
    const admin = (sql: string) => withClient(process.env.SLUICE_TEST_PG_URL!, (client) => client.query(sql));
    try {
      expect((await fetch(`${cut.baseUrl}/health`)).status).toBe(200);
      await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`);
      await expectUnhealthy(cut.baseUrl, 'postgres', 'redis');
      await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await waitFor(async () => (await fetch(`${cut.baseUrl}/health`)).status === 200, {
        timeoutMs: 10_000,
        message: 'health to answer 200 again',
      });
    } finally {
      await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await cut.close();
    }
  });

  it('serves Prometheus metrics with HTTP request counters and process metrics', async () => {
    await api.client.GET('/api/account');
    const response = await fetch(`${api.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/sluice_http_requests_total\{method="GET",route="\/api\/account",status="200"\} [1-9]/);
    expect(text).toContain('sluice_http_request_duration_seconds_bucket');
    expect(text).toContain('sluice_process_resident_memory_bytes');
  });
});
