import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';
import { loadResilienceConfig } from '../resilience/resilience.config';
import { acquireDataDirLock, DataDirLock } from './data-dir-lock';
import { createDataSource, databaseKind, pgliteDir } from './data-source';
import { isDatabaseUnavailable } from './database-errors';
import { DatabaseHealth } from './database-health';

const locks = new WeakMap<DataSource, DataDirLock>();

/**
 * Opens the one DataSource and runs pending migrations at start (unless MIGRATIONS_RUN=false).
 * The embedded database is locked to this process first. An unreachable PostgreSQL is retried
 * with backoff for DATABASE_START_TIMEOUT_SECONDS, saying so in the log, so a gateway may start
 * before its database.
 */
export async function openDatabase(config: AppConfig, logger = new Logger('Database'), startTimeoutSeconds = loadResilienceConfig().databaseStartTimeoutSeconds): Promise<DataSource> {
  const kind = databaseKind(config);
  const lock = kind === 'pglite' ? acquireDataDirLock(config.dataDir, (m) => logger.warn(m)) : undefined;
  try {
    const ds = kind === 'postgres' ? await connectWithRetry(config, logger, startTimeoutSeconds) : await initialize(config);
    logger.log(kind === 'postgres' ? 'using PostgreSQL (DATABASE_URL)' : `using the embedded PGlite database in ${pgliteDir(config.dataDir)}`);
    if (config.migrationsRun) {
      const applied = await ds.runMigrations({ transaction: 'each' });
      if (applied.length) logger.log(`applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`);
    }
    if (lock) locks.set(ds, lock);
    return ds;
  } catch (e) {
    lock?.release();
    throw e;
  }
}

async function initialize(config: AppConfig): Promise<DataSource> {
  const ds = createDataSource(config);
  try {
    await ds.initialize();
  } catch (e) {
    const where = databaseKind(config) === 'postgres' ? 'DATABASE_URL' : `the embedded database in ${pgliteDir(config.dataDir)}`;
    throw Object.assign(new Error(`cannot open ${where}: ${(e as Error).message}`), { cause: e });
  }
  return ds;
}

async function connectWithRetry(config: AppConfig, logger: Logger, timeoutSeconds: number): Promise<DataSource> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (let attempt = 1, delay = 500; ; attempt++, delay = Math.min(delay * 2, 10_000)) {
    try {
      return await initialize(config);
    } catch (e) {
      if (!isDatabaseUnavailable(e) || Date.now() + delay > deadline) throw e;
      logger.warn(`PostgreSQL (DATABASE_URL) is unreachable (${(e as Error).message}); attempt ${attempt}, retrying in ${delay} ms (for up to ${timeoutSeconds} s from start)`);
      await sleep(delay);
    }
  }
}

@Global()
@Module({
  providers: [
    {
      provide: DataSource,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => openDatabase(config),
    },
    DatabaseHealth,
  ],
  exports: [DataSource, DatabaseHealth],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
    locks.get(this.ds)?.release();
  }
}
