import { importJWK, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { TestKey } from './keys';

export const SUBJECT = 'v1:d-J4Z9j6wE2SO7cuOdyyRJuK45akgoE6rVLZd2-mv5U';

export interface SetOptions {
  jti?: string;
  subject?: string;
  iat?: number;
  iss?: string;
  txn?: string;
}

/** Mints a SET (token profile section 3) for one event. */
export async function makeSet(key: TestKey, issuer: string, type: string, payload: Record<string, unknown>, o: SetOptions = {}): Promise<string> {
  const claims: Record<string, unknown> = {
    iss: o.iss ?? issuer,
    aud: 'risk-exchange',
    iat: o.iat ?? Math.floor(Date.now() / 1000),
    jti: o.jti ?? randomUUID(),
    sub_id: { format: 'opaque', id: o.subject ?? SUBJECT },
    events: { [`urn:risk-exchange:event:${type}`]: payload },
  };
  if (o.txn) claims.txn = o.txn;
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'secevent+jwt' }).sign(await importJWK(key.privateJwk, key.alg));
}

export const signal = (key: TestKey, issuer: string, extra: Record<string, unknown> = {}, o: SetOptions = {}) =>
  makeSet(key, issuer, 'risk-signal', { category: 'cash_out', score: 0.8, confidence: 0.9, reason_codes: ['burst_large_txn'], evidence: { txn_count: 14 }, ...extra }, o);
