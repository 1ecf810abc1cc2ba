import type { AddressInfo } from 'node:net';
import { loadConfig, type SluiceConfig } from '#core/config/config.js';
import { checkDependencies } from '#core/config/dependencies.js';
import { runProcess } from '#core/config/process.js';
import { workerMetricsPort } from '../../worker/src/metrics/worker-metrics-port.js';
import { type EmbeddedServers, prepareEmbeddedEnvironment } from './embedded-environment.js';

// `npm start`: every role in one process, with embedded Postgres and Redis unless URLs are given.
runProcess(async (onShutdown) => {
  workerMetricsPort(process.env); // checked before any embedded server starts
  const embedded = await prepareEmbeddedEnvironment(process.env, onShutdown);
  const config = loadConfig(process.env);
  await checkDependencies(config);
  // Loaded only once the configuration is known to be good, so a mistake is reported at once.
  const { runMigrations } = await import('#core/database/migrate.js');
  if (config.migrate) await runMigrations(config.databaseUrl);

  let apiPort: number | undefined;
  if (config.roles.includes('api')) {
    const { bootstrapApi } = await import('../../api/src/bootstrap.js');
    const api = await bootstrapApi(config);
    onShutdown(() => api.close());
    apiPort = (api.getHttpServer().address() as AddressInfo).port;
  }
  if (config.roles.includes('worker')) {
    const { bootstrapWorker } = await import('../../worker/src/bootstrap.js');
    const worker = await bootstrapWorker(config);
    onShutdown(() => worker.close());
  }
  printWelcome(config, apiPort, embedded);
});

function printWelcome(config: SluiceConfig, apiPort: number | undefined, embedded: EmbeddedServers): void {
  const rows: Array<[string, string]> = [];
  if (apiPort !== undefined) {
    rows.push(['API', `http://127.0.0.1:${apiPort}/api`], ['Docs', `http://127.0.0.1:${apiPort}/api/docs`]);
  }
  if (config.bootstrapToken !== undefined) {
    rows.push(['Token', `${config.bootstrapToken}  (bootstrap account "${config.bootstrapAccount}")`]);
  }
  if (embedded.postgresUrl !== undefined) {
    rows.push(['Postgres', `${embedded.postgresUrl}  (embedded; wal_level=logical, so it can be a source too)`]);
  }
  if (embedded.redisUrl !== undefined) rows.push(['Redis', `${embedded.redisUrl}  (embedded)`]);
  const lines = rows.map(([label, value]) => `  ${`${label}:`.padEnd(10)}${value}`);
  process.stdout.write(`Sluice is running (${config.roles.join(', ')}); Ctrl-C stops it.\n${lines.join('\n')}\n`);
}
