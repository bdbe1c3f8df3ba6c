import vectors from '../../test/fixtures/vectors.json';
import { AssertionError, AssertionPartner, verifyPartnerAssertion } from './assertion-verifier';
import type { PublicJwk } from '../partners/jwk-policy';

const bankA: AssertionPartner = {
  id: 'bank-a',
  status: 'ACTIVE',
  keys: vectors.partners['bank-a'].keys.map((jwk) => ({ kid: jwk.kid, alg: jwk.alg, status: 'ACTIVE' as const, jwk: jwk as PublicJwk })),
};
const shopB: AssertionPartner = {
  id: 'shop-b',
  status: 'ACTIVE',
  keys: vectors.partners['shop-b'].keys.map((jwk) => ({ kid: jwk.kid, alg: jwk.alg, status: 'ACTIVE' as const, jwk: jwk as PublicJwk })),
};

function context(partners: AssertionPartner[] = [bankA, shopB]) {
  return {
    audience: vectors.audience,
    now: vectors.now,
    loadPartner: async (id: string) => partners.find((p) => p.id === id) ?? null,
  };
}

const VALID = vectors.auth_assertions.find((v) => v.name === 'valid')!.token;

/** The rule each refused vector must fail (the file gives none): a refusal by another rule fails the case. */
const RULES: Record<string, string> = {
  expired: 'exp',
  'lifetime-over-300s': 'lifetime',
  'exp-missing': 'exp',
  'iss-sub-differ': 'sub',
  'aud-other': 'aud',
  'typ-secevent': 'typ',
  'typ-missing': 'typ',
  'signed-by-other-partner': 'kid',
  'alg-none': 'alg',
  'iat-future-120s': 'iat',
};

describe('partner assertion verifier: conformance vectors (auth_assertions)', () => {
  it('runs the 13 v1.1 vectors, every refused one with its rule', () => {
    expect(vectors.auth_assertions).toHaveLength(13);
    expect(Object.keys(RULES).sort()).toEqual(vectors.auth_assertions.filter((v) => v.expect === 'reject').map((v) => v.name).sort());
  });

  it.each(vectors.auth_assertions.map((v) => [v.name, v] as const))('%s', async (name, v) => {
    const run = verifyPartnerAssertion(v.token, context());
    if (v.expect === 'accept') {
      await expect(run).resolves.toMatchObject({ partnerId: 'bank-a' });
    } else {
      await expect(run).rejects.toBeInstanceOf(AssertionError);
      await expect(verifyPartnerAssertion(v.token, context())).rejects.toMatchObject({ rule: RULES[name] });
      // A rejection must not be due to a broken context: the valid vector still passes.
      await expect(verifyPartnerAssertion(VALID, context())).resolves.toMatchObject({ partnerId: 'bank-a' });
    }
  });

  it('verifies an RS256 key with RS256 only', async () => {
    const rs = vectors.auth_assertions.find((v) => v.name === 'valid-rs256')!.token;
    await expect(verifyPartnerAssertion(rs, context())).resolves.toMatchObject({ kid: 'bank-a-rs1' });
    const asPs = { ...bankA, keys: bankA.keys.map((k) => (k.kid === 'bank-a-rs1' ? { ...k, alg: 'PS256' } : k)) };
    await expect(verifyPartnerAssertion(rs, context([asPs]))).rejects.toMatchObject({ rule: 'kid' });
    await expect(verifyPartnerAssertion(rs, context())).resolves.toBeTruthy();
  });
});

describe('partner assertion verifier: partner state', () => {
  it('refuses a suspended partner, naming the rule', async () => {
    await expect(verifyPartnerAssertion(VALID, context([{ ...bankA, status: 'SUSPENDED' }]))).rejects.toMatchObject({ rule: 'partner-status' });
    await expect(verifyPartnerAssertion(VALID, context())).resolves.toBeTruthy();
  });

  it('refuses a revoked key', async () => {
    const revoked = { ...bankA, keys: bankA.keys.map((k) => ({ ...k, status: 'REVOKED' as const })) };
    await expect(verifyPartnerAssertion(VALID, context([revoked]))).rejects.toMatchObject({ rule: 'key-revoked' });
    await expect(verifyPartnerAssertion(VALID, context())).resolves.toBeTruthy();
  });

  it('refuses an unknown partner and an empty or oversized token without parsing it', async () => {
    await expect(verifyPartnerAssertion(VALID, context([shopB]))).rejects.toMatchObject({ rule: 'kid' });
    await expect(verifyPartnerAssertion('', context())).rejects.toMatchObject({ rule: 'bearer' });
    await expect(verifyPartnerAssertion('a'.repeat(9000), context())).rejects.toMatchObject({ rule: 'size' });
    await expect(verifyPartnerAssertion('a.b', context())).rejects.toMatchObject({ rule: 'format' });
    await expect(verifyPartnerAssertion(VALID, context())).resolves.toBeTruthy();
  });

  it('applies the 60 s clock tolerance to exp', async () => {
    const expired = vectors.auth_assertions.find((v) => v.name === 'expired')!.token;
    const exp = JSON.parse(Buffer.from(expired.split('.')[1], 'base64url').toString()).exp as number;
    await expect(verifyPartnerAssertion(expired, { ...context(), now: exp + 59 })).resolves.toBeTruthy();
    await expect(verifyPartnerAssertion(expired, { ...context(), now: exp + 61 })).rejects.toMatchObject({ rule: 'exp' });
  });

  it('never puts key material in an error message', async () => {
    for (const v of vectors.auth_assertions.filter((x) => x.expect === 'reject')) {
      const err = await verifyPartnerAssertion(v.token, context()).catch((e: Error) => e);
      const message = (err as Error).message;
      for (const key of vectors.partners['bank-a'].keys) expect(message).not.toContain(key.x ?? key.n);
      expect(message).not.toContain(v.token.split('.')[2] || '@@none@@');
    }
  });
});
