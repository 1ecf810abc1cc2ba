import { pino } from 'pino';
import { Writable } from 'node:stream';
import { REDACTION } from './logger.module.js';

function logWith(write: (logger: pino.Logger) => void): string {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  write(pino({ redact: REDACTION }, sink));
  return lines.join('');
}

describe('log redaction', () => {
  it('never writes authorization headers, passwords or tokens', () => {
    const text = logWith((logger) => {
      logger.info({ req: { headers: { authorization: 'Bearer sluice_secret_token', cookie: 'sid=1' } } }, 'request');
      logger.info(
        { database: { password: 'hunter2', hostname: 'db' }, token: 'sluice_abc', body: { token: 'sluice_def' } },
        'x',
      );
    });
    for (const secret of ['sluice_secret_token', 'sid=1', 'hunter2', 'sluice_abc', 'sluice_def'])
      expect(text).not.toContain(secret);
    expect(text).toContain('"hostname":"db"');
    expect(text).toContain('"authorization":"[redacted]"');
  });

  it('masks the password of connection URLs and keeps the rest', () => {
    const text = logWith((logger) => {
      logger.info({ url: 'postgresql://app:hunter2@db.example:5432/shop' }, 'top level');
      logger.info({ database: { url: 'redis://:s3cret-redis@cache:6379/0' } }, 'nested');
      logger.info({ err: { config: { url: 'postgres://db.example/shop?password=qwerty9' } } }, 'two levels');
      logger.info({ config: { databaseUrl: 'postgresql://u:pgpass1@h/d', redisUrl: 'rediss://u:rpass1@h' } }, 'cfg');
      logger.info({ database: { url: 'not a url but has user:pw9@host' } }, 'unparsable');
    });
    for (const secret of ['hunter2', 's3cret-redis', 'qwerty9', 'pgpass1', 'rpass1', 'pw9'])
      expect(text).not.toContain(secret);
    expect(text).toContain('"url":"postgresql://app:***@db.example:5432/shop"');
    expect(text).toContain('"url":"redis://:***@cache:6379/0"');
    expect(text).toContain('"url":"postgres://db.example/shop?password=***"');
    expect(text).toContain('"databaseUrl":"postgresql://u:***@h/d"');
    expect(text).toContain('"url":"[redacted]"');
  });

  it('masks an API token sent in the query of a request path, in the path and in the parsed query', () => {
    const text = logWith((logger) => {
      logger.info(
        {
          req: {
            method: 'GET',
            url: '/api/sinks?limit=5&access_token=sluice_in_url',
            query: { access_token: 'sluice_q' },
          },
        },
        'request',
      );
      logger.info({ req: { url: '/api/account?password=pw-in-path' } }, 'password');
      logger.info({ req: { url: '/api/account?access%5Ftoken=sluice_encoded' } }, 'encoded name');
      logger.info({ req: { url: '/api/postgres_databases?url=postgresql://u:pw-at@h/db' } }, 'credentials');
    });
    for (const secret of ['sluice_in_url', 'sluice_q', 'pw-in-path', 'sluice_encoded', 'pw-at'])
      expect(text).not.toContain(secret);
    expect(text).toContain('"url":"/api/account?access_token=***"');
    expect(text).toContain('"url":"/api/sinks?limit=5&access_token=***"');
    expect(text).toContain('"query":{"access_token":"[redacted]"}');
    expect(text).toContain('"url":"/api/account?password=***"');
  });

  it('leaves request paths and URLs without credentials as they are', () => {
    const text = logWith((logger) => {
      logger.info({ req: { method: 'GET', url: '/api/sinks/orders-stream?limit=5' } }, 'request');
      logger.info({ database: { url: 'postgresql://app@db.example/shop' } }, 'no password');
    });
    expect(text).toContain('"url":"/api/sinks/orders-stream?limit=5"');
    expect(text).toContain('"url":"postgresql://app@db.example/shop"');
  });
});
