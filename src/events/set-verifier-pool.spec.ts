import vectors from '../../test/fixtures/vectors.json';
import type { PublicJwk } from '../partners/jwk-policy';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { SetContext, verifySet } from './set-verifier';
import { SetVerifierPool, SLICE_TOKENS } from './set-verifier-pool';

const bankA: SetContext['partner'] = {
  id: 'bank-a',
  kind: vectors.partners['bank-a'].kind,
  keys: vectors.partners['bank-a'].keys.map((jwk) => ({ kid: jwk.kid, alg: jwk.alg, status: 'ACTIVE' as const, jwk: jwk as PublicJwk })),
};
const ctx = (partner = bankA) => ({ audience: vectors.audience, now: vectors.now, partner });
const PRIVATE = vectors.private_keys_for_tests['bank-a'].find((k) => k.kid === 'bank-a-ed1') as JWK;

/** The verdicts on the main thread, one token at a time: what the pool must reproduce exactly. */
const inline = (tokens: unknown[], c = ctx()) => Promise.all(tokens.map((t) => verifySet(t, c)));

describe('SetVerifierPool', () => {
  let pool: SetVerifierPool;
  beforeAll(() => {
    pool = new SetVerifierPool(2);
  });
  afterAll(() => pool.close());

  it('gives every conformance vector the verdict verifySet gives, in the tokens\' order, over several slices', async () => {
    // Every vector, seven times over in a shuffled order, so the batch spans both workers and several slices.
    const tokens = Array.from({ length: 7 }, () => vectors.sets).flat().map((v) => v.token).sort((a, b) => (a.slice(-9) < b.slice(-9) ? -1 : 1));
    expect(tokens.length).toBeGreaterThan(4 * SLICE_TOKENS);
    const expected = await inline(tokens);
    const got = await pool.verifyAll(tokens, ctx());
    expect(got).toStrictEqual(expected);
    // The vectors hold both outcomes, so the comparison above covers accepted and refused tokens.
    expect(got.filter((v) => v.ok).length).toBeGreaterThan(0);
    expect(got.filter((v) => !v.ok).length).toBeGreaterThan(0);
    for (const [i, v] of vectors.sets.entries()) {
      const verdict = (await pool.verifyAll([v.token], ctx()))[0];
      expect([i, verdict.ok ? 'accept' : verdict.code]).toEqual([i, v.expect === 'accept' ? 'accept' : (v as { code?: string }).code]);
    }
  });

  it('answers for tokens that are not strings, and keeps claims such as "__proto__" and an absent txn as parsed', async () => {
    const priv = await importJWK(PRIVATE, 'EdDSA');
    const odd = await new SignJWT(JSON.parse(
      `{"iss":"bank-a","aud":"risk-exchange","iat":${vectors.now},"jti":"odd-1","sub_id":{"format":"opaque","id":"v1:odd-subject"},` +
        '"events":{"urn:risk-exchange:event:risk-signal":{"category":"cash_out","score":0.5,"evidence":{"__proto__":{"x":1},"n":-0}}}}',
    ) as Record<string, unknown>).setProtectedHeader({ alg: 'EdDSA', kid: 'bank-a-ed1', typ: 'secevent+jwt' }).sign(priv);
    const tokens: unknown[] = [odd, 42, null, '', { token: odd }, 'a.b.c', odd.toUpperCase()];
    const got = await pool.verifyAll(tokens, ctx());
    expect(got).toStrictEqual(await inline(tokens));
    const first = got[0];
    expect(first.ok && Object.keys(first.event.evidence ?? {})).toEqual(['__proto__', 'n']);
    expect(first.ok && 'txn' in first.event.duplicateClaims).toBe(true);
  });

  it('uses the partner\'s current keys on every call: a revoked or replaced key refuses, its active twin verifies again', async () => {
    const token = vectors.sets.find((v) => v.name === 'eddsa-risk-signal')!.token;
    const revoked = { ...bankA, keys: bankA.keys.map((k) => (k.kid === 'bank-a-ed1' ? { ...k, status: 'REVOKED' as const } : k)) };
    const other = { ...(await exportJWK((await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })).publicKey)), kid: 'bank-a-ed1', alg: 'EdDSA' } as PublicJwk;
    const replaced = { ...bankA, keys: bankA.keys.map((k) => (k.kid === 'bank-a-ed1' ? { ...k, jwk: other } : k)) };
    expect(await pool.verifyAll([token], ctx())).toStrictEqual(await inline([token]));
    expect(await pool.verifyAll([token], ctx(revoked))).toStrictEqual([{ ok: false, code: 'invalid_key', description: 'key "bank-a-ed1" is revoked' }]);
    expect(await pool.verifyAll([token], ctx(replaced))).toStrictEqual([{ ok: false, code: 'invalid_key', description: 'signature does not verify with key "bank-a-ed1"' }]);
    expect((await pool.verifyAll([token], ctx()))[0].ok).toBe(true);
  });

  it('size 0 verifies on the calling thread with the given key import', async () => {
    const none = new SetVerifierPool(0);
    const tokens = vectors.sets.map((v) => v.token);
    let imports = 0;
    const got = await none.verifyAll(tokens, ctx(), (k) => (imports++, importJWK({ ...k.jwk }, k.alg)));
    expect(got).toStrictEqual(await inline(tokens));
    expect(imports).toBeGreaterThan(0);
    await none.close();
  });
});
