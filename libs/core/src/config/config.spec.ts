import { randomBytes } from 'node:crypto';
import { loadConfig } from './config.js';

const valid = {
  DATABASE_URL: 'postgresql://u@127.0.0.1:5432/db',
  REDIS_URL: 'redis://127.0.0.1:6379',
  SLUICE_VAULT_KEY: randomBytes(32).toString('base64'),
};

describe('loadConfig', () => {
  it('fills defaults', () => {
    expect(loadConfig(valid)).toMatchObject({
      port: 7376,
      bootstrapAccount: 'default',
      signupEnabled: true,
      roles: ['api', 'worker'],
      logLevel: 'info',
      migrate: true,
    });
  });

  it.each([
    [{ DATABASE_URL: undefined }, 'DATABASE_URL: is required'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL: must start with postgres:// or postgresql://'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL: is not a valid URL'],
    [{ SLUICE_VAULT_KEY: 'c2hvcnQ=' }, 'SLUICE_VAULT_KEY: must be 32 bytes'],
    [{ PORT: '70000' }, 'PORT: must be an integer'],
    [{ PORT: '0x50' }, 'PORT: must be an integer'],
    [{ PORT: '80.0' }, 'PORT: must be an integer'],
    [{ SLUICE_ROLES: 'api,cron' }, 'SLUICE_ROLES: must be'],
    [{ SLUICE_SIGNUP: 'maybe' }, 'SLUICE_SIGNUP: must be true or false'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL: must be one of'],
    [{ SLUICE_BOOTSTRAP_TOKEN: 'short' }, 'SLUICE_BOOTSTRAP_TOKEN: must be at least 16'],
  ])('names the bad variable: %j', (override, message) => {
    expect(() => loadConfig({ ...valid, ...override })).toThrow(message);
  });

  it('takes an empty PORT or LOG_LEVEL as unset, like every other variable', () => {
    expect(loadConfig({ ...valid, PORT: '', LOG_LEVEL: '' })).toMatchObject({ port: 7376, logLevel: 'info' });
    expect(loadConfig({ ...valid, PORT: '0' }).port).toBe(0);
  });
});
