import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { SluiceConfig } from '../config/config.js';

/** Anything that could carry a secret is replaced before a log line is written. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'password',
  'token',
  '*.password',
  '*.token',
  '*.*.password',
  'err.config.password',
];

/** JSON lines (pretty in a terminal), the same for the api and worker roles. */
export function sluiceLoggerModule(config: SluiceConfig): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      transport:
        process.stdout.isTTY && config.logLevel !== 'silent'
          ? { target: 'pino-pretty', options: { singleLine: true } }
          : undefined,
      customProps: () => ({ service: 'sluice' }),
    },
  });
}
