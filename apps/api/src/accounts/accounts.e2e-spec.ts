import pg from 'pg';
import { signupAccount, startTestApi, type TestApi } from '#testing/test-api.js';

describe('accounts and API keys', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('opens the bootstrap account with the configured token', async () => {
    const { data, response } = await api.client.GET('/api/account');
    expect(response.status).toBe(200);
    expect(data).toEqual({
      id: expect.any(String),
      name: api.config.bootstrapAccount,
      inserted_at: expect.any(String),
    });
  });

  it('keeps the bootstrap account and token when the API restarts', async () => {
    const second = await startTestApi({ databaseUrl: api.config.databaseUrl, bootstrapToken: api.bootstrapToken });
    try {
      const { data } = await second.client.GET('/api/account');
      const { data: first } = await api.client.GET('/api/account');
      expect(data?.id).toBe(first?.id);
    } finally {
      await second.app.close();
    }
  });

  it('signs up an account whose token is shown once and works at once', async () => {
    const { data, response } = await api.clientWith().POST('/api/accounts', { body: { name: 'acme-signup' } });
    expect(response.status).toBe(201);
    expect(data).toEqual({
      account: { id: expect.any(String), name: 'acme-signup', inserted_at: expect.any(String) },
      api_token: { id: expect.any(String), name: 'default', token: expect.stringMatching(/^sluice_/) },
    });
    const me = await api.clientWith(data!.api_token.token).GET('/api/account');
    expect(me.data?.id).toBe(data!.account.id);
    const keys = await api.clientWith(data!.api_token.token).GET('/api/api_keys');
    expect(JSON.stringify(keys.data)).not.toContain(data!.api_token.token);
  });

  it('refuses a duplicate or invalid account name with 422', async () => {
    await signupAccount(api, 'taken-name');
    const dup = await api.clientWith().POST('/api/accounts', { body: { name: 'taken-name' } });
    expect(dup.response.status).toBe(422);
    expect(dup.error).toEqual({ summary: expect.any(String), validation_errors: { name: ['has already been taken'] } });
    for (const name of ['has space', '', 'a/b', '6f1c8d6e-8a43-4c1f-9d55-0f3b7a7f1e2a']) {
      const bad = await api.clientWith().POST('/api/accounts', { body: { name } });
      expect(bad.response.status).toBe(422);
      expect(bad.error?.validation_errors).toHaveProperty('name');
    }
  });

  it('refuses an invalid or duplicate API key name with 422', async () => {
    for (const name of ['has space', '', 'a/b', '6f1c8d6e-8a43-4c1f-9d55-0f3b7a7f1e2a']) {
      const bad = await api.client.POST('/api/api_keys', { body: { name } });
      expect(bad.response.status).toBe(422);
      expect(bad.error?.validation_errors).toHaveProperty('name');
    }
    const name = `key-${Date.now()}`;
    expect((await api.client.POST('/api/api_keys', { body: { name } })).response.status).toBe(201);
    const dup = await api.client.POST('/api/api_keys', { body: { name } });
    expect(dup.response.status).toBe(422);
    expect(dup.error?.validation_errors).toEqual({ name: ['has already been taken'] });
  });

  it('stores tokens only as SHA-256 hashes', async () => {
    const { token } = await signupAccount(api);
    const client = new pg.Client({ connectionString: api.config.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ token_hash: string }>('SELECT token_hash FROM api_tokens');
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
      const dump = JSON.stringify((await client.query('SELECT * FROM api_tokens')).rows);
      expect(dump).not.toContain(token);
      expect(dump).not.toContain(api.bootstrapToken);
    } finally {
      await client.end();
    }
  });

  it('creates, lists and deletes API keys; a deleted token stops working at once', async () => {
    const { client } = await signupAccount(api);
    const created = await client.POST('/api/api_keys', { body: { name: 'ci' } });
    expect(created.response.status).toBe(201);
    expect(created.data).toEqual({
      id: expect.any(String),
      name: 'ci',
      inserted_at: expect.any(String),
      token: expect.stringMatching(/^sluice_/),
    });
    const ciClient = api.clientWith(created.data!.token);
    expect((await ciClient.GET('/api/account')).response.status).toBe(200);

    const list = await client.GET('/api/api_keys');
    expect(list.data?.data.map((k) => k.name).sort()).toEqual(['ci', 'default']);
    expect(list.data?.data[0]).not.toHaveProperty('token');

    const dup = await client.POST('/api/api_keys', { body: { name: 'ci' } });
    expect(dup.response.status).toBe(422);

    const deleted = await client.DELETE('/api/api_keys/{id}', { params: { path: { id: created.data!.id } } });
    expect(deleted.response.status).toBe(200);
    expect(deleted.data).toEqual({ success: true });
    const after = await ciClient.GET('/api/account');
    expect(after.response.status).toBe(401);
    expect(after.error).toEqual({ summary: expect.any(String) });
  });

  it('answers 401 in the spec shape for a missing, malformed or unknown token', async () => {
    for (const authorization of [undefined, 'Bearer', 'Basic abc', 'Bearer sluice_unknown']) {
      const response = await fetch(`${api.baseUrl}/api/account`, { headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ summary: expect.any(String) });
    }
  });

  it('refuses a valid token sent as access_token in the query or the body (401), only the header counts', async () => {
    const inQuery = await fetch(`${api.baseUrl}/api/account?access_token=${api.bootstrapToken}`);
    expect(inQuery.status).toBe(401);
    expect(await inQuery.json()).toEqual({ summary: expect.stringContaining('Authorization header') });
    const inBody = await fetch(`${api.baseUrl}/api/api_keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'via-body', access_token: api.bootstrapToken }),
    });
    expect(inBody.status).toBe(401);
    // With the header as well, a token in the URL is still refused: it has leaked into logs on the way.
    const both = await fetch(`${api.baseUrl}/api/account?access_token=${api.bootstrapToken}`, {
      headers: { authorization: `Bearer ${api.bootstrapToken}` },
    });
    expect(both.status).toBe(401);
  });

  it('keeps API keys per account: another account cannot see or delete them (404)', async () => {
    const owner = await signupAccount(api);
    const other = await signupAccount(api);
    const key = await owner.client.POST('/api/api_keys', { body: { name: 'private' } });
    const list = await other.client.GET('/api/api_keys');
    expect(list.data?.data.map((k) => k.id)).not.toContain(key.data!.id);
    const attempt = await other.client.DELETE('/api/api_keys/{id}', { params: { path: { id: key.data!.id } } });
    expect(attempt.response.status).toBe(404);
    expect((await api.clientWith(key.data!.token).GET('/api/account')).response.status).toBe(200);
  });

  it('answers 404 for signup when SLUICE_SIGNUP=false', async () => {
    const closed = await startTestApi({ signupEnabled: false });
    try {
      const { response, error } = await closed.clientWith().POST('/api/accounts', { body: { name: 'nope' } });
      expect(response.status).toBe(404);
      expect(error).toEqual({ summary: expect.any(String) });
      // The route does not exist: it neither validates nor reads a body.
      for (const body of ['{"name": 42}', '{"name":']) {
        const bad = await fetch(`${closed.baseUrl}/api/accounts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        expect(bad.status).toBe(404);
      }
    } finally {
      await closed.close();
    }
  });
});
