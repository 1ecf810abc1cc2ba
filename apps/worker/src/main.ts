import { loadConfig } from '#core/config/config.js';
import { runProcess } from '#core/config/process.js';
import { bootstrapWorker } from './bootstrap.js';

// `npm run start:worker`: the worker role alone; DATABASE_URL and REDIS_URL are required (no embedded servers).
runProcess(async (onShutdown) => {
  const config = { ...loadConfig(process.env), roles: ['worker' as const] };
  const worker = await bootstrapWorker(config);
  onShutdown(() => worker.close());
});
