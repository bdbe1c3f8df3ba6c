import vectors from '../../test/fixtures/vectors.json';
import type { PublicJwk } from '../partners/jwk-policy';
import { SetContext, verifySet } from './set-verifier';

const bankA: SetContext['partner'] = {
  id: 'bank-a',
  kind: vectors.partners['bank-a'].kind,
  keys: vectors.partners['bank-a'].keys.map((jwk) => ({ kid: jwk.kid, alg: jwk.alg, status: 'ACTIVE' as const, jwk: jwk as PublicJwk })),
};
const ctx = (partner = bankA): SetContext => ({ audience: vectors.audience, now: vectors.now, partner });
const VALID = vectors.sets.find((v) => v.name === 'eddsa-risk-signal')!.token;

describe('SET verifier: conformance vectors (sets)', () => {
  it('has vectors to run', () => expect(vectors.sets.length).toBeGreaterThanOrEqual(58));

  it.each(vectors.sets.map((v) => [v.name, v] as const))('%s', async (_name, v) => {
    const verdict = await verifySet(v.token, ctx());
    if (v.expect === 'accept') {
      expect(verdict).toMatchObject({ ok: true });
    } else {
      expect(verdict).toMatchObject({ ok: false, code: v.code });
      expect((verdict as { description: string }).description.length).toBeGreaterThan(5);
      expect(await verifySet(VALID, ctx())).toMatchObject({ ok: true });
    }
  });
});

describe('SET verifier: details', () => {
  it('normalises a risk signal, with defaults', async () => {
    const minimal = vectors.sets.find((v) => v.name === 'minimal-signal')!.token;
    const v = await verifySet(minimal, ctx());
    expect(v.ok && v.event).toMatchObject({ category: 'other', score: 0, confidence: 1, distribution: 'granted', reasonCodes: null, evidence: null });
    const full = await verifySet(VALID, ctx());
    expect(full.ok && full.event).toMatchObject({ issuer: 'bank-a', jti: 'v-001', category: 'cash_out', score: 0.82, confidence: 0.9, observedAt: 1763999400 });
  });

  it('refuses a revoked key as invalid_key', async () => {
    const revoked = { ...bankA, keys: bankA.keys.map((k) => ({ ...k, status: 'REVOKED' as const })) };
    expect(await verifySet(VALID, ctx(revoked))).toMatchObject({ ok: false, code: 'invalid_key' });
    expect(await verifySet(VALID, ctx())).toMatchObject({ ok: true });
  });

  it('accepts a legal request from a LEGAL partner only', async () => {
    const legal = vectors.sets.find((v) => v.name === 'legal-request-from-bank')!.token;
    expect(await verifySet(legal, ctx({ ...bankA, kind: 'LEGAL' }))).toMatchObject({ ok: true, event: { type: 'urn:risk-exchange:event:legal-request', legal: { kind: 'disclosure' } } });
    expect(await verifySet(legal, ctx())).toMatchObject({ ok: false, code: 'access_denied' });
  });

  it('never looks at jku/x5u/jwk: refused before any key use', async () => {
    const jku = vectors.sets.find((v) => v.name === 'jku-header')!.token;
    let imported = 0;
    const v = await verifySet(jku, { ...ctx(), importKey: async () => { imported++; throw new Error('no'); } });
    expect(v).toMatchObject({ ok: false, code: 'invalid_request' });
    expect(imported).toBe(0);
  });

  it('refuses non-string input without throwing', async () => {
    expect(await verifySet(undefined, ctx())).toMatchObject({ ok: false, code: 'invalid_request' });
    expect(await verifySet(42, ctx())).toMatchObject({ ok: false, code: 'invalid_request' });
  });
});
