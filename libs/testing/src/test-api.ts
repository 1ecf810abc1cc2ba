import type { NestExpressApplication } from '@nestjs/platform-express';
import createClient, { type Client } from 'openapi-fetch';
import type { AddressInfo } from 'node:net';
import type { SluiceConfig } from '#core/config/config.js';
import { createApiApp } from '../../../apps/api/src/bootstrap.js';
import type { paths } from './api-schema.js';
import { testConfig } from './config.js';
import { createMetadataDatabase } from './databases.js';

export type ApiClient = Client<paths>;

export interface TestApi {
  app: NestExpressApplication;
  config: SluiceConfig;
  baseUrl: string;
  /** Token of the bootstrap account. */
  bootstrapToken: string;
  /** A typed client (generated from openapi.json) authenticated as the bootstrap account. */
  client: ApiClient;
  /** A typed client with another token, or none. */
  clientWith(token?: string): ApiClient;
  close(): Promise<void>;
}

/** A real API on a free port over its own fresh metadata database, as in production. */
export async function startTestApi(overrides: Partial<SluiceConfig> = {}): Promise<TestApi> {
  const metadata = await createMetadataDatabase();
  const bootstrapToken = overrides.bootstrapToken ?? `test-bootstrap-${Math.random().toString(36).slice(2)}-token`;
  const config = testConfig({ databaseUrl: metadata.url, ...overrides, bootstrapToken });
  const app = await createApiApp(config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const clientWith = (token?: string): ApiClient =>
    createClient<paths>({ baseUrl, headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return {
    app,
    config,
    baseUrl,
    bootstrapToken,
    client: clientWith(bootstrapToken),
    clientWith,
    async close() {
      await app.close();
      await metadata.drop();
    },
  };
}

/** Signs up a fresh account through the API; returns its token and a client for it. */
export async function signupAccount(api: TestApi, name = `acct-${Math.random().toString(36).slice(2, 10)}`) {
  const { data, error } = await api.clientWith().POST('/api/accounts', { body: { name } });
  if (!data) throw new Error(`signup failed: ${JSON.stringify(error)}`);
  return { account: data.account, token: data.api_token.token, client: api.clientWith(data.api_token.token) };
}

/** One more API process (in this process) over the same metadata database and Redis as `config`. */
export interface ApiInstance {
  app: NestExpressApplication;
  baseUrl: string;
  close(): Promise<void>;
}

export async function startApiInstance(config: SluiceConfig): Promise<ApiInstance> {
  const app = await createApiApp(config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, baseUrl: `http://127.0.0.1:${port}`, close: () => app.close() };
}
