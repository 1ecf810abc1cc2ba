import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '#migrations/index.js';
import { ENTITIES } from '../entities/index.js';

export function dataSourceOptions(databaseUrl: string): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'sluice_migrations',
    synchronize: false,
    logging: false,
    extra: { max: 20, application_name: 'sluice' },
  };
}
