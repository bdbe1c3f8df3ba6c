// Every migration, in order. Add new ones at the end; never edit one that has landed.
// (A test fails when a file in migrations/ is missing here.)
import { CreatePartners1795669882927 } from './1795669882927-CreatePartners';

export const MIGRATIONS: Function[] = [CreatePartners1795669882927];
