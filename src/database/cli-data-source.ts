// DataSource for the TypeORM CLI (`npm run migration:run`, `npm run migration:generate`).
// It reads the same configuration as the gateway, so both always talk to the same database.
import 'reflect-metadata';
import { loadConfig } from '../config/config';
import { createDataSource } from './data-source';

export default createDataSource(loadConfig());
