import vectors from '../../test/fixtures/vectors.json';
import type { PublicJwk } from '../partners/jwk-policy';
import { CompactSign, importJWK, SignJWT } from 'jose';
import { badTextIn, duplicateKeyOf, SetContext, verifySet } from './set-verifier';

const bankA: SetContext['partner'] = {
  id: 'bank-a',
  kind: vectors.partners['bank-a'].kind,
  keys: vectors.partners['bank-a'].keys.map((jwk) => ({ kid: jwk.kid, alg: jwk.alg, status: 'ACTIVE' as const, jwk: jwk as PublicJwk })),
};
const ctx = (partner = bankA): SetContext => ({ audience: vectors.audience, now: vectors.now, partner });
const VALID = vectors.sets.find((v) => v.name === 'eddsa-risk-signal')!.token;

/**
 * Why each refused vector is refused: the vectors file gives only the code (and sometimes a note),
 * so the rule is pinned here, matched against the description. A token refused for another
 * reason (say a broken signature instead of the rule under test) fails its case.
 */
const REASONS: Record<string, RegExp> = {
  'alg-none': /header alg must be one of/,
  'hs256-with-public-key-as-secret': /header alg must be one of/,
  'rs256-header-on-ps256-key': /alg RS256 does not match key "bank-a-ps1" \(PS256\)/,
  'ps256-header-on-rs256-key': /alg PS256 does not match key "bank-a-rs1" \(RS256\)/,
  'rs384-not-allowed': /header alg must be one of/,
  'kid-of-other-partner': /kid "shop-b-ed1" is not a key of partner "bank-a"/,
  'same-kid-other-key': /signature does not verify with key "bank-a-ed1"/,
  'tampered-payload': /signature does not verify with key "bank-a-ed1"/,
  'es256-der-signature': /signature does not verify with key "bank-a-es1"/,
  'alg-key-mismatch': /alg ES256 does not match key "bank-a-ed1" \(EdDSA\)/,
  'typ-missing': /header typ must be "secevent\+jwt"/,
  'typ-jwt': /header typ must be "secevent\+jwt"/,
  'typ-partner-auth': /header typ must be "secevent\+jwt"/,
  'kid-missing': /header kid is required/,
  'jku-header': /header parameter "jku" is not allowed/,
  'embedded-jwk-header': /header parameter "jwk" is not allowed/,
  'crit-unknown': /header parameter "crit" is not allowed/,
  'b64-false': /header parameter "(crit|b64)" is not allowed/,
  'wrong-issuer': /iss must be the authenticated partner "bank-a"/,
  'aud-other': /aud must be "risk-exchange"/,
  'aud-two-values': /aud must be "risk-exchange" \(a string or a one-element array\)/,
  'aud-missing': /claim aud is required/,
  'iat-61s-future': /iat is more than 60 s in the future/,
  'iat-8-days-old': /iat is too old/,
  'iat-missing': /claim iat is required/,
  'jti-missing': /claim jti is required/,
  'jti-too-long': /jti must be 1\.\.128 characters/,
  'exp-present': /claim exp is forbidden/,
  'sub-present': /claim sub is forbidden/,
  'sub-id-email-format': /sub_id must be \{"format":"opaque"/,
  'sub-id-too-short': /sub_id\.id must be 8\.\.256 characters/,
  'sub-id-bad-chars': /sub_id\.id must be 8\.\.256 characters/,
  'two-events': /events must hold exactly one event/,
  'unknown-event': /unknown event type "urn:example:other"/,
  'events-empty': /events must hold exactly one event/,
  'score-above-one': /^score must be a number in \[0, 1\]/,
  'score-string': /^score must be a number in \[0, 1\]/,
  'category-unknown': /^category must be one of/,
  'reason-code-bad': /^reason_codes must be/,
  'too-many-reason-codes': /^reason_codes must be at most 16/,
  'expires-beyond-730-days': /expires_at must be after iat and at most 730 days after it/,
  'observed-after-iat': /observed_at must not be after iat/,
  'distribution-unknown': /^distribution must be one of/,
  'evidence-over-4kib': /evidence is larger than 4 KiB/,
  'flag-action-unknown': /^action must be one of/,
  'retraction-reason-missing': /^reason is required/,
  'legal-request-from-bank': /only LEGAL partners may publish legal requests/,
  'token-over-16kib': /token is larger than 16384 bytes/,
  'nul-in-evidence': /evidence\.note holds U\+0000/,
  'nul-in-jti': /: jti holds U\+0000/,
  'lone-surrogate-in-evidence': /evidence\.note holds an unpaired surrogate/,
  'effective-at-after-year-9999': /^effective_at must be a NumericDate in 0\.\.253402300799/,
  'expires-at-fractional-huge': /^expires_at must be a NumericDate in 0\.\.253402300799/,
  'four-segments': /not a compact JWS/,
  'bad-base64': /not a compact JWS/,
  'payload-not-object': /payload must be a JSON object/,
  'empty-string': /token is empty/,
};

describe('SET verifier: conformance vectors (sets)', () => {
  it('runs the v1.1 file: 66 vectors, every refused one with its reason', () => {
    expect(vectors.profile).toBe('risk-exchange v1.1');
    expect(vectors.sets).toHaveLength(66);
    expect(Object.keys(REASONS).sort()).toEqual(vectors.sets.filter((v) => v.expect === 'reject').map((v) => v.name).sort());
  });

  it.each(vectors.sets.map((v) => [v.name, v] as const))('%s', async (name, v) => {
    const verdict = await verifySet(v.token, ctx());
    if (v.expect === 'accept') {
      expect(verdict).toMatchObject({ ok: true, event: { issuer: 'bank-a' } });
    } else {
      expect(verdict).toMatchObject({ ok: false, code: v.code });
      expect((verdict as { description: string }).description).toMatch(REASONS[name]);
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

/** Signs claims with bank-a's test Ed25519 key, for cases the vectors file does not hold. */
async function signed(claims: Record<string, unknown>): Promise<string> {
  const jwk = vectors.private_keys_for_tests['bank-a'][0];
  return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: jwk.kid, typ: 'secevent+jwt' }).sign(await importJWK(jwk, 'EdDSA'));
}
const base = (event: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  iss: 'bank-a', aud: 'risk-exchange', iat: vectors.now, jti: 'd-1', sub_id: { format: 'opaque', id: 'v1:abcdefgh' },
  events: { 'urn:risk-exchange:event:account-flag': event }, ...extra,
});

describe('SET verifier: profile v1.1 text and dates', () => {
  it('accepts NumericDates up to 253402300799 and refuses one second more', async () => {
    expect(await verifySet(await signed(base({ action: 'warn', expires_at: 253402300799 })), ctx())).toMatchObject({ ok: true, event: { expiresAt: 253402300799 } });
    const over = await verifySet(await signed(base({ action: 'warn', expires_at: 253402300800 })), ctx());
    expect(over).toMatchObject({ ok: false, code: 'invalid_request', description: expect.stringMatching(/^expires_at must be a NumericDate in 0\.\.253402300799/) });
    for (const effective_at of [1e20, 8.6e12, -1]) {
      expect(await verifySet(await signed(base({ action: 'warn', effective_at })), ctx())).toMatchObject({ ok: false, description: expect.stringMatching(/^effective_at must be a NumericDate/) });
    }
    expect(await verifySet(await signed(base({ action: 'warn', effective_at: 0 })), ctx())).toMatchObject({ ok: true, event: { effectiveAt: 0 } });
  });

  it('refuses U+0000 and lone surrogates in any string, member names included; keeps paired ones', async () => {
    expect(badTextIn({ a: [{ b: 'x\u0000' }] })).toEqual({ path: 'a[0].b', problem: 'U+0000' });
    expect(badTextIn({ a: { ['k\ud800']: 1 } })).toEqual({ path: 'a member name', problem: 'an unpaired surrogate' });
    expect(badTextIn({ a: '\udc00x' })).toMatchObject({ problem: 'an unpaired surrogate' });
    expect(badTextIn({ a: 'x\ud800' })).toMatchObject({ problem: 'an unpaired surrogate' });
    let deep: unknown = 'ok';
    for (let i = 0; i < 20000; i++) deep = [deep];
    expect(badTextIn(deep)).toBeNull(); // iterative: no stack overflow
    expect(badTextIn({ a: '\ud83d\ude00 emoji', b: ['plain'] })).toBeNull();
    const txn = await verifySet(await signed(base({ action: 'warn' }, { txn: 'case\u0000' })), ctx());
    expect(txn).toMatchObject({ ok: false, code: 'invalid_request', description: expect.stringMatching(/txn holds U\+0000/) });
    const key = await verifySet(await signed(base({ action: 'warn', ['x\ud800']: 1 })), ctx());
    expect(key).toMatchObject({ ok: false, description: expect.stringMatching(/member name holds an unpaired surrogate/) });
    expect(await verifySet(await signed(base({ action: 'warn' }, { txn: 'case \ud83d\ude00' })), ctx())).toMatchObject({ ok: true });
  });
});

describe('SET verifier: raw bytes cannot bring U+0000 or a lone surrogate past the \\u fast path', () => {
  const rawSigned = async (json: string, patch: (b: Buffer) => Buffer) => {
    const jwk = vectors.private_keys_for_tests['bank-a'][0];
    return new CompactSign(patch(Buffer.from(json))).setProtectedHeader({ alg: 'EdDSA', kid: jwk.kid, typ: 'secevent+jwt' }).sign(await importJWK(jwk, 'EdDSA'));
  };
  const json = JSON.stringify(base({ action: 'warn' }, { txn: 'AB' }));

  it('a raw NUL byte in a string is not JSON', async () => {
    const token = await rawSigned(json, (b) => Buffer.from(b.toString('latin1').replace('"AB"', '"A\u0000B"'), 'latin1'));
    expect(await verifySet(token, ctx())).toMatchObject({ ok: false, code: 'invalid_request', description: 'payload is not base64url-encoded JSON' });
  });

  it('raw surrogate bytes (CESU-8) decode to U+FFFD, never to a lone surrogate', async () => {
    const token = await rawSigned(json, (b) => {
      const i = b.indexOf('"AB"') + 1;
      return Buffer.concat([b.subarray(0, i), Buffer.from([0xed, 0xa0, 0x80]), b.subarray(i + 2)]);
    });
    const v = await verifySet(token, ctx());
    expect(v).toMatchObject({ ok: true, event: { txn: '\ufffd\ufffd\ufffd' } });
    expect(badTextIn(v.ok && v.event.txn)).toBeNull();
  });
});

describe('SET verifier: the duplicate key', () => {
  it('is equal for the same sub_id, txn and events whatever the order of members, iat or signature', async () => {
    const a = await verifySet(await signed(base({ action: 'warn', reason_codes: ['x'] }, { txn: 't' })), ctx());
    const b = await verifySet(await signed({ ...base({ reason_codes: ['x'], action: 'warn' }, { txn: 't' }), iat: vectors.now - 5 }), ctx());
    expect(a.ok && b.ok).toBe(true);
    expect(a.ok && b.ok && duplicateKeyOf(a.event.duplicateClaims) === duplicateKeyOf(b.event.duplicateClaims)).toBe(true);
    expect(duplicateKeyOf({ sub_id: { id: 'v1:abcdefgh', format: 'opaque' }, events: { e: { n: 1.0 } } })).toBe(duplicateKeyOf({ events: { e: { n: 1 } }, sub_id: { format: 'opaque', id: 'v1:abcdefgh' }, iat: 5 }));
  });

  it('differs when sub_id, txn or events differ', () => {
    const key = duplicateKeyOf(base({ action: 'warn' }, { txn: 't' }));
    expect(duplicateKeyOf(base({ action: 'freeze' }, { txn: 't' }))).not.toBe(key);
    expect(duplicateKeyOf(base({ action: 'warn' }))).not.toBe(key);
    expect(duplicateKeyOf({ ...base({ action: 'warn' }, { txn: 't' }), sub_id: { format: 'opaque', id: 'v1:zzzzzzzz' } })).not.toBe(key);
    expect(duplicateKeyOf(base({ action: 'warn' }, { txn: 't', iat: 1 }))).toBe(key);
  });
});
