import { loadConfig } from '#core/config/config.js';
import { runProcess } from '#core/config/process.js';
import { runMigrations } from '#core/database/migrate.js';
import { bootstrapApi } from './bootstrap.js';

// `npm run start:api`: the API role alone; DATABASE_URL and REDIS_URL are required (no embedded servers).
runProcess(async (onShutdown) => {
  const config = { ...loadConfig(process.env), roles: ['api' as const] };
  if (config.migrate) await runMigrations(config.databaseUrl);
  const api = await bootstrapApi(config);
  onShutdown(() => api.close());
});
