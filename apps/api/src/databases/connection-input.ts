import { ValidationError } from '#core/errors/api-errors.js';
import type { SourceConnectionParams } from '#core/source/source-connection.js';
import { DEFAULT_SOURCE_PORT, parseSourceUrl, type SourceUrlParts, SourceUrlError } from '#core/source/source-url.js';

/** The connection fields of a create or update body (validated by the DTOs). */
export interface ConnectionInput {
  url?: string;
  hostname?: string;
  port?: number;
  database?: string;
  username?: string;
  password?: string;
  ssl?: boolean;
}

/** JSON null counts as absent, as for every optional field. */
export const usesUrl = (body: ConnectionInput): body is ConnectionInput & { url: string } =>
  typeof body.url === 'string';

const CONNECTION_KEYS: (keyof SourceConnectionParams)[] = [
  'hostname',
  'port',
  'database',
  'username',
  'password',
  'ssl',
];

function parseUrl(url: string): SourceUrlParts {
  try {
    return parseSourceUrl(url);
  } catch (error) {
    if (error instanceof SourceUrlError) throw ValidationError.field('url', error.message);
    throw error;
  }
}

function fromUrl(url: string, ssl: boolean | undefined, fallbackSsl: boolean): SourceConnectionParams {
  const { ssl: urlSsl, ...parts } = parseUrl(url);
  return { ...parts, ssl: ssl ?? urlSsl ?? fallbackSsl };
}

function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw ValidationError.field(field, 'is required', `Invalid request: ${field} is required`);
  return value;
}

export function connectionFromCreate(body: ConnectionInput): SourceConnectionParams {
  if (usesUrl(body)) return fromUrl(body.url, body.ssl, false);
  return {
    hostname: required(body.hostname, 'hostname'),
    port: body.port ?? DEFAULT_SOURCE_PORT,
    database: required(body.database, 'database'),
    username: required(body.username, 'username'),
    password: required(body.password, 'password'),
    ssl: body.ssl ?? false,
  };
}

/** The stored connection with what the update names replaced; a url replaces all its fields. */
export function connectionFromUpdate(current: SourceConnectionParams, body: ConnectionInput): SourceConnectionParams {
  if (usesUrl(body)) return fromUrl(body.url, body.ssl, current.ssl);
  return {
    hostname: body.hostname ?? current.hostname,
    port: body.port ?? current.port,
    database: body.database ?? current.database,
    username: body.username ?? current.username,
    password: body.password ?? current.password,
    ssl: body.ssl ?? current.ssl,
  };
}

export const sameConnection = (a: SourceConnectionParams, b: SourceConnectionParams): boolean =>
  CONNECTION_KEYS.every((key) => a[key] === b[key]);
