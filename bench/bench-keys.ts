// Partner keys and assertions for the benchmark scenarios that start their own gateway.
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

export type SignKey = Parameters<SignJWT['sign']>[0];

/** A fresh Ed25519 key pair; `pub` is the JWK to register. */
export async function keyPair(kid: string): Promise<{ kid: string; priv: SignKey; pub: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { kid, priv: privateKey as SignKey, pub: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA' } as JWK };
}

/** A partner assertion (profile section 2) valid for 290 s. */
export function assertion(k: { kid: string; priv: SignKey }, partner: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: k.kid, typ: 'partner-auth+jwt' }).setIssuer(partner).setSubject(partner).setAudience('risk-exchange').setIssuedAt(now).setExpirationTime(now + 290).sign(k.priv);
}
