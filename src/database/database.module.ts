import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';
import { createDataSource, databaseKind, pgliteDir } from './data-source';

/** Opens the one DataSource and runs pending migrations at start (unless MIGRATIONS_RUN=false). */
export async function openDatabase(config: AppConfig, logger = new Logger('Database')): Promise<DataSource> {
  const kind = databaseKind(config);
  const ds = createDataSource(config);
  try {
    await ds.initialize();
  } catch (e) {
    const where = kind === 'postgres' ? 'DATABASE_URL' : `the embedded database in ${pgliteDir(config.dataDir)}`;
    throw new Error(`cannot open ${where}: ${(e as Error).message}`);
  }
  logger.log(kind === 'postgres' ? 'using PostgreSQL (DATABASE_URL)' : `using the embedded PGlite database in ${pgliteDir(config.dataDir)}`);
  if (config.migrationsRun) {
    const applied = await ds.runMigrations({ transaction: 'each' });
    if (applied.length) logger.log(`applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`);
  }
  return ds;
}

@Global()
@Module({
  providers: [
    {
      provide: DataSource,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => openDatabase(config),
    },
  ],
  exports: [DataSource],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}
