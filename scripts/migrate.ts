import { runMigrations } from '#core/database/migrate.js';
import { ConfigError, postgresUrl } from '#core/config/config.js';
import { checkPostgres } from '#core/config/dependencies.js';

let databaseUrl: string;
try {
  databaseUrl = postgresUrl(process.env, 'DATABASE_URL');
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
// An unreachable database: one line naming DATABASE_URL, not a driver stack trace.
await checkPostgres(databaseUrl).catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
const applied = await runMigrations(databaseUrl);
console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'no pending migrations');
