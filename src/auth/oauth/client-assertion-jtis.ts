import type { EntityManager } from 'typeorm';

/**
 * Records a client assertion's jti; false when it was seen before and is still remembered.
 * One statement, so two replicas racing on the same jti cannot both succeed: the loser waits on
 * the primary key, then finds the winner's row unexpired and gets nothing back. A row whose
 * assertion has expired (not swept yet) is taken over: RFC 7523 asks for a jti to be remembered
 * only while its assertion could be accepted.
 */
export async function consumeClientAssertionJti(tx: EntityManager, partnerId: string, jti: string, acceptableUntil: Date): Promise<boolean> {
  const rows = (await tx.query(
    `INSERT INTO oauth_client_assertion (partner_id, jti, expires_at) VALUES ($1, $2, $3)
     ON CONFLICT (partner_id, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE oauth_client_assertion.expires_at < now()
     RETURNING jti`,
    [partnerId, jti, acceptableUntil],
  )) as unknown[];
  return rows.length === 1;
}

/** Forgets the jtis of assertions that can no longer be accepted; returns how many. */
export async function sweepClientAssertionJtis(tx: Pick<EntityManager, 'query'>): Promise<number> {
  const result = (await tx.query(`DELETE FROM oauth_client_assertion WHERE expires_at < now() - interval '1 minute'`)) as unknown;
  // pg answers [rows, count] for a DELETE through TypeORM; PGlite answers the rows.
  return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
}
