import { importJWK, SignJWT, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';

/** The algorithm a private JWK signs with: its own `alg`, else the profile's default for its type. */
export function algOf(jwk: JWK): string {
  return jwk.alg ?? (jwk.kty === 'OKP' ? 'EdDSA' : jwk.kty === 'EC' ? 'ES256' : 'PS256');
}

/** Builds a partner assertion (token profile section 2) signed with a private JWK. */
export async function mintAssertion(privateJwk: JWK, partnerId: string, audience: string, ttlSeconds: number, now = Math.floor(Date.now() / 1000)): Promise<string> {
  if (typeof privateJwk.d !== 'string') throw new Error('the key file must hold a private JWK (with "d")');
  if (typeof privateJwk.kid !== 'string') throw new Error('the key file must have a "kid"');
  const alg = algOf(privateJwk);
  const key = await importJWK(privateJwk, alg);
  return new SignJWT({})
    .setProtectedHeader({ alg, kid: privateJwk.kid, typ: 'partner-auth+jwt' })
    .setIssuer(partnerId)
    .setSubject(partnerId)
    .setAudience(audience)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .setJti(randomUUID())
    .sign(key);
}
