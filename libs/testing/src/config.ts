import { randomBytes } from 'node:crypto';
import type { SluiceConfig } from '#core/config/config.js';
import { testRedisUrl, uniqueRedisPrefix } from './databases.js';

/**
 * A valid configuration for tests. Pass `databaseUrl` (usually from createMetadataDatabase()):
 * defaulting to a shared database would let tests see each other's rows.
 */
export function testConfig(overrides: Partial<SluiceConfig> = {}): SluiceConfig {
  if (!overrides.databaseUrl) {
    throw new Error('testConfig: pass databaseUrl, e.g. (await createMetadataDatabase()).url');
  }
  return {
    databaseUrl: overrides.databaseUrl,
    redisUrl: testRedisUrl(),
    port: 0,
    vaultKey: randomBytes(32),
    bootstrapToken: undefined,
    bootstrapAccount: 'default',
    signupEnabled: true,
    roles: ['api', 'worker'],
    logLevel: 'silent',
    migrate: false,
    redisPrefix: uniqueRedisPrefix(),
    leaseMs: 5_000,
    ...overrides,
  };
}
