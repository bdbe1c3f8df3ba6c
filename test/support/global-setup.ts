import { Client } from 'pg';

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Decides once which database the end-to-end specs use: PostgreSQL at TEST_DATABASE_URL, or,
 * when none answers (and REQUIRE_POSTGRES is not 1), the embedded PGlite default.
 */
export default async function globalSetup(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    process.env.RX_E2E_DB = 'postgres';
    process.env.TEST_DATABASE_URL = url;
  } catch (e) {
    if (process.env.REQUIRE_POSTGRES === '1') {
      throw new Error(`REQUIRE_POSTGRES=1 but PostgreSQL at ${redact(url)} does not answer: ${(e as Error).message}`);
    }
    process.env.RX_E2E_DB = 'pglite';
    process.stdout.write(`\nPostgreSQL at ${redact(url)} does not answer: end-to-end specs run on the embedded PGlite database instead.\n`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
