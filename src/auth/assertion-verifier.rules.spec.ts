import { CompactSign, importJWK, SignJWT, type JWK } from 'jose';
import vectors from '../../test/fixtures/vectors.json';
import type { PublicJwk } from '../partners/jwk-policy';
import { AssertionError, AssertionPartner, verifyPartnerAssertion } from './assertion-verifier';

// Rules of profile section 2 checked one at a time, each with the rule and message that refuse
// it. Tokens are signed here with the vectors' test key, so the signature always verifies and
// only the claim under test can refuse the token.
const NOW = vectors.now;
const PRIVATE = vectors.private_keys_for_tests['bank-a'].find((k) => k.kid === 'bank-a-ed1') as JWK;
const bankA: AssertionPartner = {
  id: 'bank-a',
  status: 'ACTIVE',
  keys: vectors.partners['bank-a'].keys.map((jwk) => ({ kid: jwk.kid, alg: jwk.alg, status: 'ACTIVE' as const, jwk: jwk as PublicJwk })),
};
const ctx = (now = NOW) => ({ audience: 'risk-exchange', now, loadPartner: async (id: string) => (id === 'bank-a' ? bankA : null) });

async function sign(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const body = { iss: 'bank-a', sub: 'bank-a', aud: 'risk-exchange', iat: NOW, exp: NOW + 120, ...claims };
  for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k as keyof typeof body];
  return new SignJWT(body).setProtectedHeader({ alg: 'EdDSA', kid: 'bank-a-ed1', typ: 'partner-auth+jwt', ...header }).sign(await importJWK(PRIVATE, 'EdDSA'));
}

const refusal = async (token: string, now = NOW) => {
  const e = await verifyPartnerAssertion(token, ctx(now)).then(() => null, (err: { rule: string; message: string }) => err);
  return e && { rule: e.rule, message: e.message };
};

// Mutants left alive by `npm run mutation` in assertion-verifier.ts, all equivalent:
// - `typeof v === 'number'` / `typeof header.alg !== 'string'` dropped: Number.isFinite and
//   ALLOWED_ALGS.includes refuse the same non-numbers and non-strings.
// - `{ algorithms: [key.alg] }` -> `{}`: the header alg was already checked equal to the key's.
describe('partner assertion verifier: claim rules', () => {
  it('accepts the baseline token these cases vary, and returns exactly what it verified', async () => {
    await expect(verifyPartnerAssertion(await sign({ jti: 'j-1' }), ctx())).resolves.toEqual({ partnerId: 'bank-a', kid: 'bank-a-ed1', jti: 'j-1', exp: NOW + 120 });
    await expect(verifyPartnerAssertion(await sign({}), ctx())).resolves.toEqual({ partnerId: 'bank-a', kid: 'bank-a-ed1', jti: undefined, exp: NOW + 120 });
  });

  it('refuses exp equal to iat, and exp before iat, as a lifetime error', async () => {
    expect(await refusal(await sign({ iat: NOW, exp: NOW }))).toEqual({ rule: 'lifetime', message: 'exp must be after iat' });
    expect(await refusal(await sign({ iat: NOW, exp: NOW - 1 }))).toEqual({ rule: 'lifetime', message: 'exp must be after iat' });
    expect(await refusal(await sign({ iat: NOW + 30, exp: NOW + 10 }))).toEqual({ rule: 'lifetime', message: 'exp must be after iat' });
    // One second of lifetime is enough, and 300 s is the most.
    expect(await refusal(await sign({ iat: NOW, exp: NOW + 1 }))).toBeNull();
    expect(await refusal(await sign({ iat: NOW - 100, exp: NOW + 200 }))).toBeNull();
  });

  it('refuses a lifetime over 300 s, to the second', async () => {
    expect(await refusal(await sign({ iat: NOW - 100, exp: NOW + 201 }))).toEqual({ rule: 'lifetime', message: 'exp - iat must be at most 300 s' });
    expect(await refusal(await sign({ iat: NOW - 100, exp: NOW + 200 }))).toBeNull();
  });

  it('refuses an aud array with two values even when one of them is ours', async () => {
    const audMessage = { rule: 'aud', message: 'claim aud must be "risk-exchange"' };
    expect(await refusal(await sign({ aud: ['risk-exchange', 'another-gateway'] }))).toEqual(audMessage);
    expect(await refusal(await sign({ aud: ['another-gateway', 'risk-exchange'] }))).toEqual(audMessage);
    expect(await refusal(await sign({ aud: ['risk-exchange', 'risk-exchange'] }))).toEqual(audMessage);
    expect(await refusal(await sign({ aud: [] }))).toEqual(audMessage);
    expect(await refusal(await sign({ aud: ['another-gateway'] }))).toEqual(audMessage);
    expect(await refusal(await sign({ aud: 'another-gateway' }))).toEqual(audMessage);
    expect(await refusal(await sign({ aud: undefined }))).toEqual(audMessage);
    // Ours alone, as a string or a one-element array, passes.
    expect(await refusal(await sign({ aud: ['risk-exchange'] }))).toBeNull();
    expect(await refusal(await sign({ aud: 'risk-exchange' }))).toBeNull();
  });

  it('requires iat and exp as NumericDates', async () => {
    expect(await refusal(await sign({ iat: undefined }))).toEqual({ rule: 'iat', message: 'claim iat is required (NumericDate)' });
    expect(await refusal(await sign({ iat: String(NOW) }))).toEqual({ rule: 'iat', message: 'claim iat is required (NumericDate)' });
    expect(await refusal(await sign({ exp: undefined }))).toEqual({ rule: 'exp', message: 'claim exp is required (NumericDate)' });
    expect(await refusal(await sign({ exp: String(NOW + 60) }))).toEqual({ rule: 'exp', message: 'claim exp is required (NumericDate)' });
    expect(await refusal(await sign({}))).toBeNull();
  });

  it('applies the 60 s clock tolerance to iat in the future, to the second', async () => {
    const token = await sign({ iat: NOW + 60, exp: NOW + 100 });
    expect(await refusal(token)).toBeNull();
    expect(await refusal(token, NOW - 1)).toEqual({ rule: 'iat', message: 'assertion is dated in the future (iat)' });
  });

  it('applies the 60 s clock tolerance to exp, to the second', async () => {
    const token = await sign({ iat: NOW - 100, exp: NOW });
    expect(await refusal(token, NOW + 60)).toBeNull();
    expect(await refusal(token, NOW + 61)).toEqual({ rule: 'exp', message: 'assertion has expired (exp)' });
  });

  it('bounds jti to a string of at most 128 characters', async () => {
    expect(await refusal(await sign({ jti: 'x'.repeat(128) }))).toBeNull();
    expect(await refusal(await sign({ jti: 'x'.repeat(129) }))).toEqual({ rule: 'jti', message: 'claim jti must be a string of at most 128 characters' });
    expect(await refusal(await sign({ jti: 42 }))).toEqual({ rule: 'jti', message: 'claim jti must be a string of at most 128 characters' });
  });

  it('requires iss, sub equal to iss, and a partner id in iss', async () => {
    expect(await refusal(await sign({ iss: undefined }))).toEqual({ rule: 'iss', message: 'claim iss is required and must be the partner id' });
    expect(await refusal(await sign({ iss: '' }))).toEqual({ rule: 'iss', message: 'claim iss is required and must be the partner id' });
    expect(await refusal(await sign({ sub: 'shop-b' }))).toEqual({ rule: 'sub', message: 'claims iss and sub must both equal the partner id' });
    expect(await refusal(await sign({ iss: 'Bank_A', sub: 'Bank_A' }))).toEqual({ rule: 'iss', message: 'claim iss is not a partner id' });
    expect(await refusal(await sign({}))).toBeNull();
  });

  it('names the header rules: typ, alg, kid and refused parameters', async () => {
    expect(await refusal(await sign({}, { typ: 'secevent+jwt' }))).toEqual({ rule: 'typ', message: 'header typ must be "partner-auth+jwt" (got "secevent+jwt"); a SET is never an assertion' });
    expect(await refusal(await sign({}, { typ: undefined }))).toEqual({ rule: 'typ', message: 'header typ must be "partner-auth+jwt" (got none); a SET is never an assertion' });
    expect(await refusal(await sign({}, { kid: '' }))).toEqual({ rule: 'kid', message: 'header kid is required (1..128 characters)' });
    expect(await refusal(await sign({}, { kid: 'k'.repeat(129) }))).toEqual({ rule: 'kid', message: 'header kid is required (1..128 characters)' });
    expect(await refusal(await sign({}, { kid: 'bank-a-es1' }))).toEqual({ rule: 'kid', message: 'unknown partner, kid or algorithm for this kid' });
    for (const name of ['jku', 'x5u', 'jwk', 'x5c']) {
      expect(await refusal(await sign({}, { [name]: 'x' }))).toEqual({ rule: 'header', message: `header parameter "${name}" is not allowed` });
    }
    expect(await refusal(await sign({}))).toBeNull();
  });

  it('checks the signature with the named key only', async () => {
    const token = await sign({});
    const [h, p, s] = token.split('.');
    const flipped = `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
    expect(await refusal(flipped)).toEqual({ rule: 'signature', message: 'signature does not verify with key "bank-a-ed1"' });
    const other = await new SignJWT({ iss: 'bank-a', sub: 'bank-a', aud: 'risk-exchange', iat: NOW, exp: NOW + 60 })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'bank-a-ed1', typ: 'partner-auth+jwt' })
      .sign(await importJWK(vectors.private_keys_for_tests['shop-b'][0] as JWK, 'EdDSA'));
    expect(await refusal(other)).toEqual({ rule: 'signature', message: 'signature does not verify with key "bank-a-ed1"' });
    expect(await refusal(token)).toBeNull();
  });

  it('refuses a payload that is not a JSON object', async () => {
    const token = await sign({});
    const [h, , s] = token.split('.');
    expect(await refusal(`${h}.${Buffer.from('[1]').toString('base64url')}.${s}`)).toEqual({ rule: 'payload', message: 'assertion payload must be a JSON object' });
    expect(await refusal(`${h}.${Buffer.from('null').toString('base64url')}.${s}`)).toEqual({ rule: 'payload', message: 'assertion payload must be a JSON object' });
    expect(await refusal(`${h}.${Buffer.from('{no').toString('base64url')}.${s}`)).toEqual({ rule: 'payload', message: 'assertion payload is not base64url-encoded JSON' });
    expect(await refusal(`${Buffer.from('{no').toString('base64url')}.${token.split('.')[1]}.${s}`)).toEqual({ rule: 'header', message: 'assertion header is not base64url-encoded JSON' });
    expect(await refusal(token)).toBeNull();
  });

  it('refuses by form and header before any key is looked up', async () => {
    let lookups = 0;
    const counting = { ...ctx(), loadPartner: async (id: string) => (lookups++, id === 'bank-a' ? bankA : null) };
    const seg = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const body = seg({ iss: 'bank-a', sub: 'bank-a', aud: 'risk-exchange', iat: NOW, exp: NOW + 60 });
    const header = { alg: 'EdDSA', kid: 'bank-a-ed1', typ: 'partner-auth+jwt' };
    const cases: Array<[string, { rule: string; message: string }]> = [
      [`${seg({ ...header, alg: 'HS256' })}.${body}.c2ln`, { rule: 'alg', message: 'header alg must be one of EdDSA, ES256, PS256, RS256' }],
      [`${seg({ ...header, alg: undefined })}.${body}.c2ln`, { rule: 'alg', message: 'header alg must be one of EdDSA, ES256, PS256, RS256' }],
      [`${seg({ ...header, kid: 5 })}.${body}.c2ln`, { rule: 'kid', message: 'header kid is required (1..128 characters)' }],
      [`${seg({ ...header, crit: ['exp'] })}.${body}.c2ln`, { rule: 'header', message: 'header parameter "crit" is not allowed' }],
      [`${seg({ ...header, b64: false })}.${body}.c2ln`, { rule: 'header', message: 'header parameter "b64" is not allowed' }],
      [`${seg(header)}.${body}.c2l+`, { rule: 'format', message: 'assertion is not a compact JWS (three base64url segments)' }],
      [`${seg(header)}.${body}`, { rule: 'format', message: 'assertion is not a compact JWS (three base64url segments)' }],
      [`${seg(header)}.${body}.c2ln.eA`, { rule: 'format', message: 'assertion is not a compact JWS (three base64url segments)' }],
    ];
    for (const [token, expected] of cases) {
      const e = await verifyPartnerAssertion(token, counting).then(() => null, (err: { rule: string; message: string }) => ({ rule: err.rule, message: err.message }));
      expect([token, e]).toEqual([token, expected]);
    }
    expect(lookups).toBe(0);
    // An unknown partner, an unknown kid and a wrong algorithm for a known kid read the same.
    const unknown = { rule: 'kid', message: 'unknown partner, kid or algorithm for this kid' };
    expect(await refusal(await sign({}, { kid: 'no-such-kid' }))).toEqual(unknown);
    expect(await refusal(await sign({ iss: 'shop-z', sub: 'shop-z' }))).toEqual(unknown);
    // A refused header never hides an accepted token.
    expect(await refusal(await sign({}))).toBeNull();
  });

  it('uses the context key import when given, and only for the named key', async () => {
    const used: string[] = [];
    const { importJWK: imp } = await import('jose');
    const withImport = { ...ctx(), importKey: async (k: { kid: string; alg: string; jwk: object }) => (used.push(k.kid), imp({ ...k.jwk }, k.alg)) };
    await expect(verifyPartnerAssertion(await sign({}), withImport)).resolves.toMatchObject({ partnerId: 'bank-a' });
    expect(used).toEqual(['bank-a-ed1']);
  });

  it('refuses a token over 8 KiB, and accepts the largest one under the limit', async () => {
    const big = await sign({ pad: 'x'.repeat(8 * 1024) });
    expect(await refusal(big)).toEqual({ rule: 'size', message: 'assertion is larger than 8192 bytes' });
    const base = (await sign({ pad: '' })).length;
    // Padding in the payload grows the token by 4/3 of its length; find one exactly at 8192.
    let pad = Math.floor(((8192 - base) * 3) / 4);
    let token = await sign({ pad: 'x'.repeat(pad) });
    while (token.length < 8192) token = await sign({ pad: 'x'.repeat(++pad) });
    while (token.length > 8192) token = await sign({ pad: 'x'.repeat(--pad) });
    // base64url skips lengths of 1 mod 4, so the largest token may be a byte or two short of 8192.
    expect(token.length).toBeGreaterThanOrEqual(8190);
    expect(token.length).toBeLessThanOrEqual(8192);
    expect(await refusal(token)).toBeNull();
    expect(await refusal(await sign({ pad: 'x'.repeat(pad + 3) }))).toEqual({ rule: 'size', message: 'assertion is larger than 8192 bytes' });
  });
});

describe('partner assertion verifier: edges', () => {
  it('names a missing bearer, and measures size and form exactly', async () => {
    expect(await refusal('')).toEqual({ rule: 'bearer', message: 'missing bearer assertion' });
    expect(await refusal(undefined as unknown as string)).toEqual({ rule: 'bearer', message: 'missing bearer assertion' });
    expect(await refusal('a'.repeat(8192))).toEqual({ rule: 'format', message: 'assertion is not a compact JWS (three base64url segments)' });
    expect(await refusal('a'.repeat(8193))).toEqual({ rule: 'size', message: 'assertion is larger than 8192 bytes' });
    const token = await sign({});
    expect(await refusal(`+${token}`)).toEqual({ rule: 'format', message: 'assertion is not a compact JWS (three base64url segments)' });
    expect(await refusal(token)).toBeNull();
  });

  it('accepts a kid of 128 characters as a kid (then looks it up), and checks iss against the whole pattern', async () => {
    expect(await refusal(await sign({}, { kid: 'k'.repeat(128) }))).toEqual({ rule: 'kid', message: 'unknown partner, kid or algorithm for this kid' });
    expect(await refusal(await sign({ iss: '_bank-a', sub: '_bank-a' }))).toEqual({ rule: 'iss', message: 'claim iss is not a partner id' });
    expect(await refusal(await sign({ iss: 'bank-a_', sub: 'bank-a_' }))).toEqual({ rule: 'iss', message: 'claim iss is not a partner id' });
    expect(await refusal(await sign({ iss: 'b', sub: 'b' }))).toEqual({ rule: 'iss', message: 'claim iss is not a partner id' });
  });

  it('names the partner and the key in status refusals', async () => {
    const ctxWith = (p: AssertionPartner) => ({ ...ctx(), loadPartner: async () => p });
    const token = await sign({});
    await expect(verifyPartnerAssertion(token, ctxWith({ ...bankA, status: 'SUSPENDED' }))).rejects.toMatchObject({ rule: 'partner-status', message: 'partner "bank-a" is suspended' });
    await expect(verifyPartnerAssertion(token, ctxWith({ ...bankA, keys: bankA.keys.map((k) => ({ ...k, status: 'REVOKED' as const })) }))).rejects.toMatchObject({ rule: 'key-revoked', message: 'key "bank-a-ed1" is revoked' });
    const err = await verifyPartnerAssertion('', ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AssertionError);
    expect((err as Error).name).toBe('AssertionError');
  });

  it('refuses time claims that JSON can only carry as raw numbers (1e400 is Infinity)', async () => {
    const raw = async (payload: string) =>
      new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: 'EdDSA', kid: 'bank-a-ed1', typ: 'partner-auth+jwt' }).sign(await importJWK(PRIVATE, 'EdDSA'));
    const body = (iat: string, exp: string) => `{"iss":"bank-a","sub":"bank-a","aud":"risk-exchange","iat":${iat},"exp":${exp}}`;
    expect(await refusal(await raw(body('1e400', String(NOW + 60))))).toEqual({ rule: 'iat', message: 'claim iat is required (NumericDate)' });
    expect(await refusal(await raw(body(String(NOW), '1e400')))).toEqual({ rule: 'exp', message: 'claim exp is required (NumericDate)' });
    expect(await refusal(await raw('[1]'))).toEqual({ rule: 'payload', message: 'assertion payload must be a JSON object' });
    expect(await refusal(await raw('"text"'))).toEqual({ rule: 'payload', message: 'assertion payload must be a JSON object' });
    expect(await refusal(await raw(body(String(NOW), String(NOW + 60))))).toBeNull();
  });
});

