import type { AddressInfo } from 'node:net';
import { loadConfig, type SluiceConfig } from '#core/config/config.js';
import { runProcess } from '#core/config/process.js';
import { runMigrations } from '#core/database/migrate.js';
import { bootstrapApi } from '../../api/src/bootstrap.js';
import { bootstrapWorker } from '../../worker/src/bootstrap.js';
import { prepareEmbeddedEnvironment } from './embedded-environment.js';

// `npm start`: every role in one process, with embedded Postgres and Redis unless URLs are given.
runProcess(async (onShutdown) => {
  await prepareEmbeddedEnvironment(process.env, onShutdown);
  const config = loadConfig(process.env);
  if (config.migrate) await runMigrations(config.databaseUrl);

  let apiPort: number | undefined;
  if (config.roles.includes('api')) {
    const api = await bootstrapApi(config);
    onShutdown(() => api.close());
    apiPort = (api.getHttpServer().address() as AddressInfo).port;
  }
  if (config.roles.includes('worker')) {
    const worker = await bootstrapWorker(config);
    onShutdown(() => worker.close());
  }
  printWelcome(config, apiPort);
});

function printWelcome(config: SluiceConfig, apiPort: number | undefined): void {
  const lines = [`Sluice is running (${config.roles.join(', ')}); Ctrl-C stops it.`];
  if (apiPort !== undefined) {
    lines.push(`  API:   http://127.0.0.1:${apiPort}/api`, `  Docs:  http://127.0.0.1:${apiPort}/api/docs`);
  }
  if (config.bootstrapToken !== undefined) {
    lines.push(`  Token: ${config.bootstrapToken}  (bootstrap account "${config.bootstrapAccount}")`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
