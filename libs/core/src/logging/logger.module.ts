import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { SluiceConfig } from '../config/config.js';
import { censorSecret } from './censor.js';

/** Anything that could carry a secret is censored before a log line is written (see censorSecret). */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'password',
  'token',
  '*.password',
  '*.token',
  // An API token sent in the query string (refused by the API, still logged with the request).
  'req.query.access_token',
  '*.*.password',
  'err.config.password',
  // Connection URLs keep their host and path; only the credentials are masked.
  'url',
  '*.url',
  '*.*.url',
  'databaseUrl',
  'redisUrl',
  '*.databaseUrl',
  '*.redisUrl',
];

/** pino's `redact` option, shared by the app logger and its tests. */
export const REDACTION = { paths: REDACTED_PATHS, censor: censorSecret };

/** JSON lines (pretty in a terminal), the same for the api and worker roles. */
export function sluiceLoggerModule(config: SluiceConfig): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: config.logLevel,
      redact: REDACTION,
      transport:
        process.stdout.isTTY && config.logLevel !== 'silent'
          ? { target: 'pino-pretty', options: { singleLine: true } }
          : undefined,
      customProps: () => ({ service: 'sluice' }),
    },
  });
}
