export interface SourceUrlParts {
  hostname: string;
  port: number;
  database: string;
  username: string;
  password: string;
  /** From `?sslmode=`; undefined when the URL does not say. */
  ssl?: boolean;
}

export const DEFAULT_SOURCE_PORT = 5432;

const SSL_MODES: Record<string, boolean> = {
  disable: false,
  allow: false,
  prefer: false,
  require: true,
  'verify-ca': true,
  'verify-full': true,
};

export class SourceUrlError extends Error {
  override name = 'SourceUrlError';
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new SourceUrlError(`has a badly percent-encoded ${what}`);
  }
}

function sslFrom(params: URLSearchParams): boolean | undefined {
  for (const key of params.keys()) {
    if (key !== 'sslmode')
      throw new SourceUrlError(`has an unsupported parameter "${key}" (only sslmode is understood)`);
  }
  const mode = params.get('sslmode');
  if (mode === null) return undefined;
  if (!(mode in SSL_MODES)) throw new SourceUrlError(`has an unknown sslmode "${mode}"`);
  return SSL_MODES[mode];
}

/**
 * `postgresql://user:pass@host:port/db[?sslmode=…]` → its parts, user, password and database
 * percent-decoded. Throws SourceUrlError whose message completes "url …".
 */
export function parseSourceUrl(text: string): SourceUrlParts {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SourceUrlError('is not a valid URL');
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new SourceUrlError('must start with postgresql:// or postgres://');
  }
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (hostname === '') throw new SourceUrlError('must name a host');
  if (url.username === '') throw new SourceUrlError('must name a user (postgresql://user:password@host:port/database)');
  const path = url.pathname.replace(/^\//, '');
  if (path === '' || path.includes('/')) throw new SourceUrlError('must name exactly one database after the host');
  const port = url.port === '' ? DEFAULT_SOURCE_PORT : Number(url.port);
  if (port < 1) throw new SourceUrlError('must have a port from 1 to 65535');
  return {
    hostname,
    port,
    database: decode(path, 'database'),
    username: decode(url.username, 'user'),
    password: decode(url.password, 'password'),
    ssl: sslFrom(url.searchParams),
  };
}
