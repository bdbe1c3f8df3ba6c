// DataSource for the TypeORM CLI (`npm run migration:run`, `npm run migration:generate`).
// It reads the same configuration as the gateway, so both always talk to the same database.
import 'reflect-metadata';
import { loadConfig } from '../config/config';
import { acquireDataDirLock } from './data-dir-lock';
import { createDataSource, databaseKind } from './data-source';

const config = loadConfig();
// The embedded database is opened by one process at a time, the CLI included: a migration run
// beside a running gateway would corrupt it (issue 11). The lock is released when the CLI exits;
// a running gateway makes this throw DataDirLockedError, which names it.
if (databaseKind(config) === 'pglite') acquireDataDirLock(config.dataDir, (m) => process.stderr.write(`${m}\n`));

export default createDataSource(config);
