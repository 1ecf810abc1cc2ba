import { runMigrations } from '#core/database/migrate.js';
import { ConfigError } from '#core/config/config.js';
import { checkPostgres } from '#core/config/dependencies.js';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error(new ConfigError('DATABASE_URL', 'is required').message);
  process.exit(1);
}
// An unreachable database: one line naming DATABASE_URL, not a driver stack trace.
await checkPostgres(databaseUrl).catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
const applied = await runMigrations(databaseUrl);
console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'no pending migrations');
