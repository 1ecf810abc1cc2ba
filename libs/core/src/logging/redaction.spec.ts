import { pino } from 'pino';
import { Writable } from 'node:stream';
import { REDACTED_PATHS } from './logger.module.js';

describe('log redaction', () => {
  it('never writes authorization headers, passwords or tokens', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const logger = pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
    logger.info({ req: { headers: { authorization: 'Bearer sluice_secret_token', cookie: 'sid=1' } } }, 'request');
    logger.info(
      { database: { password: 'hunter2', hostname: 'db' }, token: 'sluice_abc', body: { token: 'sluice_def' } },
      'x',
    );
    const text = lines.join('');
    for (const secret of ['sluice_secret_token', 'sid=1', 'hunter2', 'sluice_abc', 'sluice_def'])
      expect(text).not.toContain(secret);
    expect(text).toContain('"hostname":"db"');
  });
});
