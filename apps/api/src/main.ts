import { loadConfig } from '#core/config/config.js';
import { checkDependencies } from '#core/config/dependencies.js';
import { runProcess } from '#core/config/process.js';

// `npm run start:api`: the API role alone; DATABASE_URL and REDIS_URL are required (no embedded servers).
runProcess(async (onShutdown) => {
  const config = { ...loadConfig(process.env), roles: ['api' as const] };
  await checkDependencies(config);
  // Loaded only once the configuration is known to be good, so a mistake is reported at once.
  const { runMigrations } = await import('#core/database/migrate.js');
  if (config.migrate) await runMigrations(config.databaseUrl);
  const { bootstrapApi } = await import('./bootstrap.js');
  const api = await bootstrapApi(config);
  onShutdown(() => api.close());
});
