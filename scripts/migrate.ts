import { runMigrations } from '#core/database/migrate.js';
import { ConfigError } from '#core/config/config.js';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error(new ConfigError('DATABASE_URL', 'is required').message);
  process.exit(1);
}
const applied = await runMigrations(databaseUrl);
console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'no pending migrations');
