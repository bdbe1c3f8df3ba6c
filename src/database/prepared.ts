import type { EntityManager } from 'typeorm';

interface PgQueryable {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Runs a hot statement as a named prepared statement: PostgreSQL parses and analyses it once per
 * connection instead of on every call, and may settle on a generic plan. Inside a transaction it
 * runs on the transaction's connection; otherwise on any pooled one. On PGlite it runs as a plain
 * query. `name` must be unique to `text`.
 */
export async function preparedQuery<T>(m: EntityManager, name: string, text: string, values: unknown[]): Promise<T[]> {
  if ((m.connection.options as { driver?: unknown }).driver) return (await m.query(text, values)) as T[]; // PGlite
  const connection = (m.queryRunner as { databaseConnection?: PgQueryable } | undefined)?.databaseConnection;
  const target = connection ?? (m.connection.driver as unknown as { master: PgQueryable }).master;
  return (await target.query({ name, text, values })).rows as T[];
}
