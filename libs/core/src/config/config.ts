export type Role = 'api' | 'worker';

export interface SluiceConfig {
  databaseUrl: string;
  redisUrl: string;
  port: number;
  /** 32-byte key for AES-256-GCM encryption of secrets at rest. */
  vaultKey: Buffer;
  bootstrapToken?: string;
  bootstrapAccount: string;
  signupEnabled: boolean;
  roles: Role[];
  logLevel: string;
  migrate: boolean;
  /** Prefix for every BullMQ queue and Redis key Sluice owns; lets tests share one Redis. */
  redisPrefix: string;
  /**
   * How long a replication reader's lease (its BullMQ job lock) lasts without renewal: after a worker
   * dies, another takes its slots over within about this time.
   */
  leaseMs: number;
}

/** Bad configuration stops the process at start with one line naming the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const ROLES: Role[] = ['api', 'worker'];

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(name, 'is required');
  return value;
}

/** A Postgres URL (postgres:// or postgresql://) in `name`, or a ConfigError naming it. */
export function postgresUrl(env: NodeJS.ProcessEnv, name: string): string {
  return url(env, name, POSTGRES_PROTOCOLS);
}

const POSTGRES_PROTOCOLS = ['postgres:', 'postgresql:'];

function url(env: NodeJS.ProcessEnv, name: string, protocols: string[]): string {
  const value = required(env, name);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return value;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (['true', '1', 'yes'].includes(value.toLowerCase())) return true;
  if (['false', '0', 'no'].includes(value.toLowerCase())) return false;
  throw new ConfigError(name, `must be true or false, got "${value}"`);
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new ConfigError(name, `must be an integer ≥ ${min}, got "${text}"`);
  return value;
}

export function parseVaultKey(value: string, variable = 'SLUICE_VAULT_KEY'): Buffer {
  const key = Buffer.from(value, 'base64');
  if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== value.replace(/=+$/, '')) {
    throw new ConfigError(variable, 'must be 32 bytes encoded as base64 (e.g. `openssl rand -base64 32`)');
  }
  return key;
}

/** Reads the environment. Throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): SluiceConfig {
  // Empty means the default, as for every other variable; 0 asks the system for a free port.
  const portText = env.PORT || '7376';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new ConfigError('PORT', `must be an integer from 0 to 65535, got "${portText}"`);
  }
  const roles = (env.SLUICE_ROLES ?? 'api,worker')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const unknownRole = roles.find((r) => !ROLES.includes(r as Role));
  if (unknownRole !== undefined || roles.length === 0) {
    throw new ConfigError('SLUICE_ROLES', `must be a comma-separated list of ${ROLES.join(', ')}`);
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const bootstrapToken = env.SLUICE_BOOTSTRAP_TOKEN || undefined;
  if (bootstrapToken !== undefined && bootstrapToken.length < 16) {
    throw new ConfigError('SLUICE_BOOTSTRAP_TOKEN', 'must be at least 16 characters');
  }
  const bootstrapAccount = env.SLUICE_BOOTSTRAP_ACCOUNT || 'default';
  if (!/^[a-zA-Z0-9_\-.]+$/.test(bootstrapAccount)) {
    throw new ConfigError('SLUICE_BOOTSTRAP_ACCOUNT', 'may contain only letters, digits, _, - and .');
  }
  return {
    databaseUrl: postgresUrl(env, 'DATABASE_URL'),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    port,
    vaultKey: parseVaultKey(required(env, 'SLUICE_VAULT_KEY')),
    bootstrapToken,
    bootstrapAccount,
    signupEnabled: bool(env, 'SLUICE_SIGNUP', true),
    roles: roles as Role[],
    logLevel,
    migrate: bool(env, 'SLUICE_MIGRATE', true),
    redisPrefix: env.SLUICE_REDIS_PREFIX || 'sluice',
    leaseMs: integer(env, 'SLUICE_LEASE_MS', 30_000, 2_000),
  };
}
