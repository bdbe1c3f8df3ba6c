// Worker-thread side of the verifier pool (set-verifier-pool.ts): runs the same pure verifySet on
// a slice of a batch and posts the verdicts back in the slice's order. No Nest or TypeORM import.
import { importJWK } from 'jose';
import { parentPort } from 'node:worker_threads';
import { SetPartnerKey, verifySet, type SetContext } from './set-verifier';

export interface VerifyRequest {
  id: number;
  tokens: unknown[];
  ctx: Omit<SetContext, 'importKey'>;
}
export type VerifyResponse = { id: number; verdicts: Awaited<ReturnType<typeof verifySet>>[] } | { id: number; error: string };

/**
 * Imported keys, by partner, kid, alg and the JWK itself: a key replaced under the same kid is
 * imported again, and whether a key may be used (status, alg) is still decided by verifySet from
 * the partner's current keys on every call. Bounded: the oldest entry goes first.
 */
const imported = new Map<string, ReturnType<typeof importJWK>>();
const MAX_KEYS = 1000;

function importKey(partnerId: string, key: SetPartnerKey): ReturnType<typeof importJWK> {
  const id = JSON.stringify([partnerId, key.kid, key.alg, key.jwk]);
  let hit = imported.get(id);
  if (!hit) {
    if (imported.size >= MAX_KEYS) imported.delete(imported.keys().next().value as string);
    hit = importJWK({ ...key.jwk }, key.alg);
    hit.catch(() => imported.delete(id)); // a key that does not import is tried again next time (verifySet refuses the token)
    imported.set(id, hit);
  }
  return hit;
}

parentPort?.on('message', (request: VerifyRequest) => {
  const ctx: SetContext = { ...request.ctx, importKey: (key) => importKey(request.ctx.partner.id, key) };
  Promise.all(request.tokens.map((token) => verifySet(token, ctx))).then(
    (verdicts) => parentPort!.postMessage({ id: request.id, verdicts } satisfies VerifyResponse),
    (e: unknown) => parentPort!.postMessage({ id: request.id, error: e instanceof Error ? e.message : String(e) } satisfies VerifyResponse),
  );
});
