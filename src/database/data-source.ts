import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { AppConfig } from '../config/config';
import { ENTITIES } from './entities';
import { MIGRATIONS } from '../../migrations';

export type DatabaseKind = 'postgres' | 'pglite';

export function databaseKind(config: Pick<AppConfig, 'databaseUrl'>): DatabaseKind {
  return config.databaseUrl ? 'postgres' : 'pglite';
}

/** Folder of the embedded database inside DATA_DIR. */
export function pgliteDir(dataDir: string): string {
  return path.join(dataDir, 'pglite');
}

/**
 * The one set of DataSource options, used by the app, the migration CLI and the tests.
 * `synchronize` is off everywhere: the schema comes only from migrations.
 */
export function dataSourceOptions(
  config: Pick<AppConfig, 'databaseUrl' | 'dataDir' | 'migrationsRun'>,
): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each' as const,
    migrationsRun: false, // run explicitly at boot so progress and errors are ours to report
    synchronize: false,
    logging: false as const,
  };
  if (config.databaseUrl) {
    // A connect that gets no answer fails after 5 s (the default waits forever), so an outage answers 503.
    return { ...common, url: config.databaseUrl, extra: { max: 10, connectionTimeoutMillis: 5000 } };
  }
  const dir = pgliteDir(config.dataDir);
  fs.mkdirSync(dir, { recursive: true });
  // PGlite is one embedded Postgres per process: typeorm-pglite keeps a singleton instance.
  return { ...common, driver: new PGliteDriver({ dataDir: dir }).driver };
}

export function createDataSource(config: Pick<AppConfig, 'databaseUrl' | 'dataDir' | 'migrationsRun'>): DataSource {
  return new DataSource(dataSourceOptions(config));
}
