import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';

export interface TestKey {
  kid: string;
  alg: 'EdDSA' | 'ES256' | 'PS256' | 'RS256';
  privateJwk: JWK;
  publicJwk: JWK;
}

/** A fresh key pair made with jose (tests never share long-lived tokens). */
export async function makeKey(kid: string, alg: TestKey['alg'] = 'EdDSA'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const meta = { kid, alg, use: 'sig' };
  return { kid, alg, privateJwk: { ...(await exportJWK(privateKey)), ...meta }, publicJwk: { ...(await exportJWK(publicKey)), ...meta } };
}

export interface AssertionOptions {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  iat?: number;
  exp?: number;
  typ?: string;
  kid?: string;
}

/** Mints a partner assertion; options override single claims to build bad ones. */
export async function assertion(key: TestKey, partnerId: string, o: AssertionOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const iat = o.iat ?? now;
  const jwt = new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: key.alg, kid: o.kid ?? key.kid, typ: o.typ ?? 'partner-auth+jwt' })
    .setIssuer(o.iss ?? partnerId)
    .setSubject(o.sub ?? partnerId)
    .setAudience(o.aud ?? 'risk-exchange')
    .setIssuedAt(iat)
    .setExpirationTime(o.exp ?? iat + 120);
  return jwt.sign(await importJWK(key.privateJwk, key.alg));
}

export const jwksOf = (...keys: TestKey[]) => JSON.stringify({ keys: keys.map((k) => k.publicJwk) });
