// Every migration, in order. Add new ones at the end; never edit one that has landed.
// (A test fails when a file in migrations/ is missing here.)
import { CreatePartners1795670258349 } from './1795670258349-CreatePartners';

export const MIGRATIONS: Function[] = [CreatePartners1795670258349];
