import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { PublicJwk } from '../../partners/jwk-policy';
import type { AssertionPartner } from '../assertion-verifier';
import { MAX_CLIENT_ASSERTION_LIFETIME_S, verifyClientAssertion } from './client-assertion';

// RFC 7523 section 3 rules checked one at a time, each with the rule that refuses it. The
// signature always verifies, so only the claim or header under test can refuse the token.
const NOW = 1_800_000_000;
const ENDPOINT = 'https://rx.example/oauth/token';
const ISSUER = 'https://rx.example';
let privateKey: CryptoKey;
let partner: AssertionPartner;

beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA' } as JWK;
  partner = { id: 'bank-a', status: 'ACTIVE', keys: [{ kid: 'k1', alg: 'EdDSA', status: 'ACTIVE', jwk: jwk as PublicJwk }] };
});

const ctx = (p: () => AssertionPartner = () => partner) => ({ audiences: [ENDPOINT, ISSUER], now: NOW, loadPartner: async (id: string) => (id === 'bank-a' ? p() : null) });

async function sign(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const body: Record<string, unknown> = { iss: 'bank-a', sub: 'bank-a', aud: ENDPOINT, iat: NOW, exp: NOW + 60, jti: 'j-1', ...claims };
  for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
  const h: Record<string, unknown> = { alg: 'EdDSA', kid: 'k1', typ: 'JWT', ...header };
  for (const [k, v] of Object.entries(h)) if (v === undefined) delete h[k];
  return new SignJWT(body).setProtectedHeader(h as never).sign(privateKey);
}

const refusal = async (token: string, p?: () => AssertionPartner) => {
  const e = await verifyClientAssertion(token, ctx(p)).then(() => null, (err: { rule: string; message: string }) => err);
  return e && e.rule;
};

describe('client assertion (private_key_jwt) rules', () => {
  it('accepts the baseline and returns the partner, kid, jti and how long to remember the jti', async () => {
    await expect(verifyClientAssertion(await sign(), ctx())).resolves.toEqual({ partnerId: 'bank-a', kid: 'k1', jti: 'j-1', acceptableUntil: NOW + 60 + 60 });
  });

  it('takes typ absent, JWT in any case, or application/jwt, and nothing else', async () => {
    for (const typ of [undefined, 'JWT', 'jwt', 'application/jwt', 'Application/JWT']) expect(await refusal(await sign({}, { typ }))).toBeNull();
    for (const typ of ['partner-auth+jwt', 'secevent+jwt', 'at+jwt', 'JOSE', 42]) expect(await refusal(await sign({}, { typ }))).toBe('typ');
  });

  it('takes aud as the token endpoint or the issuer, alone or within an array', async () => {
    for (const aud of [ENDPOINT, ISSUER, [ENDPOINT], ['x', ISSUER]]) expect(await refusal(await sign({ aud }))).toBeNull();
    for (const aud of ['risk-exchange', [], ['x'], `${ENDPOINT}/`, undefined]) expect(await refusal(await sign({ aud }))).toBe('aud');
  });

  it('requires iss = sub = a partner id', async () => {
    expect(await refusal(await sign({ sub: 'shop-b' }))).toBe('sub');
    expect(await refusal(await sign({ sub: undefined }))).toBe('sub');
    expect(await refusal(await sign({ iss: 'Bank A', sub: 'Bank A' }))).toBe('iss');
    expect(await refusal(await sign({ iss: undefined }))).toBe('iss');
  });

  it('hides an unknown partner, an unknown kid, a wrong alg and a bad signature behind the same rules', async () => {
    expect(await refusal(await sign({ iss: 'shop-b', sub: 'shop-b' }))).toBe('kid');
    expect(await refusal(await sign({}, { kid: 'k2' }))).toBe('kid');
    expect(await refusal(await sign({}, { kid: undefined }))).toBe('kid-missing');
    const token = await sign();
    const [h, p, s] = token.split('.');
    expect(await refusal(`${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`)).toBe('signature');
  });

  it('names a suspended partner and a revoked key (after the signature)', async () => {
    expect(await refusal(await sign(), () => ({ ...partner, status: 'SUSPENDED' }))).toBe('partner-status');
    expect(await refusal(await sign(), () => ({ ...partner, keys: partner.keys.map((k) => ({ ...k, status: 'REVOKED' as const })) }))).toBe('key-revoked');
  });

  it('requires exp, caps the lifetime at 300 s, with or without iat', async () => {
    expect(await refusal(await sign({ exp: undefined }))).toBe('exp');
    expect(await refusal(await sign({ exp: 'soon' }))).toBe('exp');
    expect(await refusal(await sign({ iat: NOW, exp: NOW + MAX_CLIENT_ASSERTION_LIFETIME_S }))).toBeNull();
    expect(await refusal(await sign({ iat: NOW, exp: NOW + MAX_CLIENT_ASSERTION_LIFETIME_S + 1 }))).toBe('lifetime');
    expect(await refusal(await sign({ iat: NOW, exp: NOW }))).toBe('lifetime');
    expect(await refusal(await sign({ iat: undefined, exp: NOW + 360 }))).toBeNull();
    expect(await refusal(await sign({ iat: undefined, exp: NOW + 361 }))).toBe('lifetime');
    expect(await refusal(await sign({ iat: 'now' }))).toBe('iat');
  });

  it('allows 60 s of clock skew for exp, iat and nbf, and not a second more', async () => {
    expect(await refusal(await sign({ iat: NOW - 120, exp: NOW - 60 }))).toBeNull();
    expect(await refusal(await sign({ iat: NOW - 121, exp: NOW - 61 }))).toBe('exp');
    expect(await refusal(await sign({ iat: NOW + 60, exp: NOW + 120 }))).toBeNull();
    expect(await refusal(await sign({ iat: NOW + 61, exp: NOW + 121 }))).toBe('iat');
    expect(await refusal(await sign({ nbf: NOW + 60 }))).toBeNull();
    expect(await refusal(await sign({ nbf: NOW + 61 }))).toBe('nbf');
  });

  it('requires a jti of 1..128 characters', async () => {
    expect(await refusal(await sign({ jti: undefined }))).toBe('jti');
    expect(await refusal(await sign({ jti: '' }))).toBe('jti');
    expect(await refusal(await sign({ jti: 7 }))).toBe('jti');
    expect(await refusal(await sign({ jti: 'x'.repeat(129) }))).toBe('jti');
    expect(await refusal(await sign({ jti: 'x'.repeat(128) }))).toBeNull();
  });

  it('refuses header parameters that pick a key, and malformed tokens', async () => {
    expect(await refusal(await sign({}, { jku: 'https://evil.example/jwks' }))).toBe('header');
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const payload = (await sign()).split('.')[1];
    expect(await refusal(`${b64({ alg: 'none', kid: 'k1' })}.${payload}.`)).toBe('alg');
    expect(await refusal(`${b64({ alg: 'HS256', kid: 'k1', typ: 'JWT' })}.${payload}.c2ln`)).toBe('alg');
    expect(await refusal('')).toBe('missing');
    expect(await refusal('a.b')).toBe('format');
    expect(await refusal('a.b.c')).toBe('header');
    expect(await refusal('x'.repeat(8 * 1024 + 1))).toBe('size');
  });
});
