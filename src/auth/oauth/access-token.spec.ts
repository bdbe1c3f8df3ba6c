import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { PublicJwk } from '../../partners/jwk-policy';
import type { AssertionPartner } from '../assertion-verifier';
import { SsfScope } from '../ssf-scopes.decorator';
import { accessTokenClaims, looksLikeAccessToken, verifyAccessToken } from './access-token';

const NOW = 1_800_000_000;
const ISSUER = 'https://rx.example';
let gatewayKey: CryptoKey;
let otherKey: CryptoKey;
let jwks: ReturnType<typeof createLocalJWKSet>;
const partner: AssertionPartner = { id: 'bank-a', status: 'ACTIVE', keys: [{ kid: 'pk1', alg: 'EdDSA', status: 'ACTIVE', jwk: {} as PublicJwk }] };

beforeAll(async () => {
  const gw = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  gatewayKey = gw.privateKey;
  otherKey = (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey;
  jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(gw.publicKey)), kid: 'gw1', alg: 'EdDSA' } as JWK] });
});

const claims = (o: Record<string, unknown> = {}) => ({
  ...accessTokenClaims({ issuer: ISSUER, audience: ISSUER, partnerId: 'bank-a', kid: 'pk1', scopes: [SsfScope.Read], now: NOW, ttlSeconds: 300, jti: 't-1' }),
  ...o,
});

async function sign(c: Record<string, unknown> = claims(), header: Record<string, unknown> = {}, key = gatewayKey): Promise<string> {
  for (const [k, v] of Object.entries(c)) if (v === undefined) delete c[k];
  return new SignJWT(c).setProtectedHeader({ alg: 'EdDSA', kid: 'gw1', typ: 'at+jwt', ...header } as never).sign(key);
}

const ctx = (p: AssertionPartner | null = partner, now = NOW) => ({ issuer: ISSUER, audience: ISSUER, now, key: jwks as never, loadPartner: async () => p });
const refusal = async (token: string, p: AssertionPartner | null = partner, now = NOW) =>
  verifyAccessToken(token, ctx(p, now)).then(() => null, (e: { rule: string }) => e.rule);

describe('RFC 9068 access tokens: claims and checks', () => {
  it('builds the claims RFC 9068 section 2.2 requires, with sub = client_id for client_credentials', () => {
    expect(accessTokenClaims({ issuer: ISSUER, audience: ISSUER, partnerId: 'bank-a', kid: 'pk1', scopes: [SsfScope.Read, SsfScope.Manage], now: NOW, ttlSeconds: 300, jti: 't-1' })).toEqual({
      iss: ISSUER, aud: ISSUER, sub: 'bank-a', client_id: 'bank-a', iat: NOW, exp: NOW + 300, jti: 't-1', scope: 'ssf.read ssf.manage', partner_kid: 'pk1',
    });
  });

  it('accepts the token it issues, returning the partner, key and scopes', async () => {
    await expect(verifyAccessToken(await sign(), ctx())).resolves.toEqual({ partnerId: 'bank-a', kid: 'pk1', scopes: ['ssf.read'], exp: NOW + 300 });
    expect(await refusal(await sign(claims(), { typ: 'application/at+jwt' }))).toBeNull();
  });

  it('tells access tokens from other bearer tokens by their typ only', async () => {
    expect(looksLikeAccessToken(await sign())).toBe(true);
    expect(looksLikeAccessToken(await sign(claims(), { typ: 'AT+JWT' }))).toBe(true);
    expect(looksLikeAccessToken(await sign(claims(), { typ: 'partner-auth+jwt' }))).toBe(false);
    expect(looksLikeAccessToken('not-a-jwt')).toBe(false);
  });

  it('refuses another typ, another alg, another signer', async () => {
    expect(await refusal(await sign(claims(), { typ: 'JWT' }))).toBe('typ');
    expect(await refusal(await sign(claims(), { typ: 'secevent+jwt' }))).toBe('typ');
    expect(await refusal(await sign(claims(), {}, otherKey))).toBe('signature');
    expect(await refusal(await sign(claims(), { kid: 'unknown' }))).toBe('signature');
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    expect(await refusal(`${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims())}.x`)).toBe('alg');
    expect(await refusal('x'.repeat(5000))).toBe('size');
    expect(await refusal('a.b')).toBe('format');
  });

  it('checks iss, aud, exp and iat', async () => {
    expect(await refusal(await sign(claims({ iss: 'https://other.example' })))).toBe('iss');
    expect(await refusal(await sign(claims({ aud: 'risk-exchange' })))).toBe('aud');
    expect(await refusal(await sign(claims({ aud: ['x', ISSUER] })))).toBeNull();
    expect(await refusal(await sign(claims({ exp: undefined })))).toBe('exp');
    expect(await refusal(await sign(claims({ exp: NOW - 5 })))).toBe('exp');
    expect(await refusal(await sign(claims({ exp: NOW - 4 })))).toBeNull();
    expect(await refusal(await sign(claims({ iat: NOW + 6 })))).toBe('iat');
    expect(await refusal(await sign(claims({ iat: undefined })))).toBe('iat');
  });

  it('requires sub = client_id, a scope and the partner key id', async () => {
    expect(await refusal(await sign(claims({ client_id: 'shop-b' })))).toBe('sub');
    expect(await refusal(await sign(claims({ scope: undefined })))).toBe('scope');
    expect(await refusal(await sign(claims({ partner_kid: undefined })))).toBe('partner_kid');
  });

  it('refuses a token whose partner is suspended or gone, or whose key is revoked or gone, as of now', async () => {
    expect(await refusal(await sign(), { ...partner, status: 'SUSPENDED' })).toBe('partner-status');
    expect(await refusal(await sign(), null)).toBe('partner-status');
    expect(await refusal(await sign(), { ...partner, keys: [{ ...partner.keys[0], status: 'REVOKED' }] })).toBe('key-revoked');
    expect(await refusal(await sign(claims({ partner_kid: 'pk9' })))).toBe('key-revoked');
  });
});
