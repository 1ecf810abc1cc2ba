import { loadConfig } from '#core/config/config.js';
import { checkDependencies } from '#core/config/dependencies.js';
import { runProcess } from '#core/config/process.js';
import { workerMetricsPort } from './metrics/worker-metrics-port.js';

// `npm run start:worker`: the worker role alone; DATABASE_URL and REDIS_URL are required (no embedded servers).
runProcess(async (onShutdown) => {
  const config = { ...loadConfig(process.env), roles: ['worker' as const] };
  workerMetricsPort(process.env);
  await checkDependencies(config);
  // Loaded only once the configuration is known to be good, so a mistake is reported at once.
  const { bootstrapWorker } = await import('./bootstrap.js');
  const worker = await bootstrapWorker(config);
  onShutdown(() => worker.close());
});
