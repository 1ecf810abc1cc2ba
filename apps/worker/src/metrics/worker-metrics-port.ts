import { ConfigError } from '#core/config/config.js';

export const WORKER_METRICS_PORT_VARIABLE = 'SLUICE_WORKER_METRICS_PORT';
export const DEFAULT_WORKER_METRICS_PORT = 7377;

/** `SLUICE_WORKER_METRICS_PORT`: 0 disables the endpoint; a bad value stops the process naming the variable. */
export function workerMetricsPort(env: NodeJS.ProcessEnv): number {
  const text = env[WORKER_METRICS_PORT_VARIABLE];
  if (text === undefined || text.trim() === '') return DEFAULT_WORKER_METRICS_PORT;
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port > 65535) {
    throw new ConfigError(WORKER_METRICS_PORT_VARIABLE, `must be an integer from 0 to 65535 (0: off), got "${text}"`);
  }
  return port;
}
