export const REDACTED = '[redacted]';
const MASK = '***';
const URL_KEYS = new Set(['url', 'databaseUrl', 'redisUrl']);
const SECRET_QUERY_PARAMETERS = ['password', 'sslpassword', 'sslkey', 'access_token'];

/**
 * pino's censor for REDACTED_PATHS: a URL keeps everything but its password (`postgresql://u:***@h/db`;
 * `req.url` paths stay as they are); any other redacted value is replaced entirely.
 */
export function censorSecret(value: unknown, path: string[]): unknown {
  if (!URL_KEYS.has(path.at(-1) ?? '')) return REDACTED;
  return typeof value === 'string' ? maskUrlCredentials(value) : REDACTED;
}

/**
 * The URL with its password (user info or query parameter) masked; unparsable text with an `@` is
 * redacted; a request path with its secret query parameters masked (an API token sent as
 * `?access_token=`, which the API refuses).
 */
export function maskUrlCredentials(text: string): string {
  // A request path such as /api/sinks/x carries no credentials. Asked first: constructing a URL from
  // every logged request's path threw each time, 4-5 µs a call against 0.1-0.3 µs for this.
  if (!URL.canParse(text)) {
    if (text.includes('@')) return REDACTED;
    return text.startsWith('/') && text.includes('?') ? maskPathQuery(text) : text;
  }
  const url = new URL(text);
  let masked = false;
  if (url.password !== '') {
    url.password = MASK;
    masked = true;
  }
  for (const name of SECRET_QUERY_PARAMETERS) {
    if (url.searchParams.has(name)) {
      url.searchParams.set(name, MASK);
      masked = true;
    }
  }
  return masked ? url.toString() : text;
}

/** Names are compared decoded (`access%5Ftoken` is access_token to the API too). */
function maskPathQuery(path: string): string {
  const query = path.indexOf('?');
  const params = new URLSearchParams(path.slice(query + 1));
  if (!SECRET_QUERY_PARAMETERS.some((name) => params.has(name))) return path;
  for (const name of SECRET_QUERY_PARAMETERS) if (params.has(name)) params.set(name, MASK);
  return `${path.slice(0, query + 1)}${params.toString()}`;
}
