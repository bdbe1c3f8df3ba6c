import { importJWK, SignJWT, type JWK } from 'jose';
import vectors from '../../test/fixtures/vectors.json';
import type { PublicJwk } from '../partners/jwk-policy';
import { SetContext, verifySet } from './set-verifier';

// Payload rules of profile sections 3 and 4, one at a time, each with the code and description
// that refuse it. Tokens are signed here with the vectors' test key, so only the rule under test
// can refuse them.
const NOW = vectors.now;
const DAY = 86_400;
const PRIVATE = vectors.private_keys_for_tests['bank-a'].find((k) => k.kid === 'bank-a-ed1') as JWK;
const bankA: SetContext['partner'] = {
  id: 'bank-a',
  kind: 'BANK',
  keys: vectors.partners['bank-a'].keys.map((jwk) => ({ kid: jwk.kid, alg: jwk.alg, status: 'ACTIVE' as const, jwk: jwk as PublicJwk })),
};
const ctx: SetContext = { audience: 'risk-exchange', now: NOW, partner: bankA };
const SUBJECT = 'v1:d-J4Z9j6wE2SO7cuOdyyRJuK45akgoE6rVLZd2-mv5U';

async function set(type: string, payload: Record<string, unknown>, claims: Record<string, unknown> = {}): Promise<string> {
  const body = { iss: 'bank-a', aud: 'risk-exchange', iat: NOW, jti: 'j-1', sub_id: { format: 'opaque', id: SUBJECT }, events: { [`urn:risk-exchange:event:${type}`]: payload }, ...claims };
  return new SignJWT(body).setProtectedHeader({ alg: 'EdDSA', kid: 'bank-a-ed1', typ: 'secevent+jwt' }).sign(await importJWK(PRIVATE, 'EdDSA'));
}
const flag = (payload: Record<string, unknown>) => set('account-flag', { action: 'freeze', ...payload });
const signal = (payload: Record<string, unknown>, claims: Record<string, unknown> = {}) => set('risk-signal', { category: 'cash_out', score: 0.5, ...payload }, claims);
const refused = (description: string, code = 'invalid_request') => ({ ok: false, code, description });

describe('SET verifier: account flag dates', () => {
  it('refuses expires_at equal to or before effective_at', async () => {
    const msg = refused('expires_at must be after effective_at');
    expect(await verifySet(await flag({ effective_at: NOW + 100, expires_at: NOW + 100 }), ctx)).toEqual(msg);
    expect(await verifySet(await flag({ effective_at: NOW + 100, expires_at: NOW + 99 }), ctx)).toEqual(msg);
    // effective_at defaults to iat: expires_at at iat is refused too.
    expect(await verifySet(await flag({ expires_at: NOW }), ctx)).toEqual(msg);
    // One second after is enough.
    expect(await verifySet(await flag({ effective_at: NOW + 100, expires_at: NOW + 101 }), ctx)).toMatchObject({ ok: true, event: { effectiveAt: NOW + 100, expiresAt: NOW + 101 } });
    expect(await verifySet(await flag({ expires_at: NOW + 1 }), ctx)).toMatchObject({ ok: true, event: { effectiveAt: NOW, expiresAt: NOW + 1 } });
  });

  it('normalises a flag: effective_at defaults to iat, no expiry, consortium distribution', async () => {
    const v = await verifySet(await flag({ reason_codes: ['mule_ring'] }), ctx);
    expect(v).toEqual({
      ok: true,
      event: {
        jti: 'j-1', issuer: 'bank-a', kid: 'bank-a-ed1', iat: NOW, txn: null, subject: SUBJECT, type: 'urn:risk-exchange:event:account-flag', category: null,
        action: 'freeze', score: null, confidence: null, reasonCodes: ['mule_ring'], observedAt: null, effectiveAt: NOW, expiresAt: null,
        distribution: 'consortium', evidence: null, targetJti: null, retractionReason: null, legal: null,
      },
    });
    expect(await verifySet(await flag({ action: 'suspend' }), ctx)).toEqual(refused('action must be one of warn, restrict, freeze, close'));
    expect(await verifySet(await set('account-flag', {}), ctx)).toEqual(refused('action is required'));
  });
});

describe('SET verifier: risk signal fields', () => {
  it('bounds expires_at to (iat, iat + 730 days], and defaults it by category', async () => {
    const msg = refused('expires_at must be after iat and at most 730 days after it');
    expect(await verifySet(await signal({ expires_at: NOW }), ctx)).toEqual(msg);
    expect(await verifySet(await signal({ expires_at: NOW + 730 * DAY + 1 }), ctx)).toEqual(msg);
    expect(await verifySet(await signal({ expires_at: NOW + 730 * DAY }), ctx)).toMatchObject({ ok: true, event: { expiresAt: NOW + 730 * DAY } });
    expect(await verifySet(await signal({ expires_at: NOW + 1 }), ctx)).toMatchObject({ ok: true, event: { expiresAt: NOW + 1 } });
    expect(await verifySet(await signal({ category: 'high_velocity' }), ctx)).toMatchObject({ ok: true, event: { expiresAt: NOW + 30 * DAY } });
    expect(await verifySet(await signal({ category: 'identity_fraud' }), ctx)).toMatchObject({ ok: true, event: { expiresAt: NOW + 730 * DAY } });
  });

  it('refuses observed_at after iat, accepts it at iat', async () => {
    expect(await verifySet(await signal({ observed_at: NOW + 1 }), ctx)).toEqual(refused('observed_at must not be after iat'));
    expect(await verifySet(await signal({ observed_at: -1 }), ctx)).toEqual(refused('observed_at must be a NumericDate'));
    expect(await verifySet(await signal({ observed_at: NOW }), ctx)).toMatchObject({ ok: true, event: { observedAt: NOW } });
  });

  it('keeps score and confidence in [0, 1], with confidence 1 by default', async () => {
    expect(await verifySet(await signal({ score: 1.01 }), ctx)).toEqual(refused('score must be a number in [0, 1]'));
    expect(await verifySet(await signal({ score: -0.01 }), ctx)).toEqual(refused('score must be a number in [0, 1]'));
    expect(await verifySet(await signal({ score: undefined }), ctx)).toEqual(refused('score must be a number in [0, 1]'));
    expect(await verifySet(await signal({ score: '0.5' }), ctx)).toEqual(refused('score must be a number in [0, 1]'));
    expect(await verifySet(await signal({ confidence: 2 }), ctx)).toEqual(refused('confidence must be a number in [0, 1]'));
    expect(await verifySet(await signal({ score: 1, confidence: 0 }), ctx)).toMatchObject({ ok: true, event: { score: 1, confidence: 0 } });
    expect(await verifySet(await signal({ score: 0 }), ctx)).toMatchObject({ ok: true, event: { score: 0, confidence: 1 } });
  });

  it('bounds reason codes and evidence', async () => {
    const codes = refused('reason_codes must be at most 16 strings matching ^[a-z0-9_]{1,64}$');
    expect(await verifySet(await signal({ reason_codes: Array.from({ length: 17 }, (_, i) => `c${i}`) }), ctx)).toEqual(codes);
    expect(await verifySet(await signal({ reason_codes: ['Upper'] }), ctx)).toEqual(codes);
    expect(await verifySet(await signal({ reason_codes: ['x'.repeat(65)] }), ctx)).toEqual(codes);
    expect(await verifySet(await signal({ reason_codes: 'burst' }), ctx)).toEqual(codes);
    expect(await verifySet(await signal({ reason_codes: Array.from({ length: 16 }, (_, i) => `c${i}`) }), ctx)).toMatchObject({ ok: true });
    expect(await verifySet(await signal({ evidence: [1] }), ctx)).toEqual(refused('evidence must be a JSON object'));
    expect(await verifySet(await signal({ evidence: { blob: 'x'.repeat(4086) } }), ctx)).toEqual(refused('evidence is larger than 4 KiB serialized'));
    // {"blob":"..."} is 11 bytes plus the blob: 4085 makes exactly 4096.
    expect(await verifySet(await signal({ evidence: { blob: 'x'.repeat(4085) } }), ctx)).toMatchObject({ ok: true, event: { evidence: { blob: 'x'.repeat(4085) } } });
    expect(await verifySet(await signal({ distribution: 'public' }), ctx)).toEqual(refused('distribution must be one of issuer_only, granted, consortium'));
    expect(await verifySet(await signal({ category: 'fraud' }), ctx)).toEqual(refused('category must be one of cash_out, credit_arbitrage, merchant_collusion, high_velocity, account_takeover, money_mule, identity_fraud, other'));
  });
});

describe('SET verifier: claims', () => {
  it('names each claim rule', async () => {
    expect(await verifySet(await signal({}, { iat: NOW + 61 }), ctx)).toEqual(refused('iat is more than 60 s in the future'));
    expect(await verifySet(await signal({}, { iat: NOW + 60 }), ctx)).toMatchObject({ ok: true });
    expect(await verifySet(await signal({}, { iat: NOW - 7 * DAY - 1 }), ctx)).toEqual(refused('iat is too old'));
    expect(await verifySet(await signal({}, { iat: NOW - 7 * DAY }), ctx)).toMatchObject({ ok: true });
    expect(await verifySet(await signal({}, { iat: NOW - 11 }), { ...ctx, maxIatAgeSeconds: 10 })).toEqual(refused('iat is too old'));
    expect(await verifySet(await signal({}, { jti: 'x'.repeat(129) }), ctx)).toEqual(refused('jti must be 1..128 characters'));
    expect(await verifySet(await signal({}, { jti: '' }), ctx)).toEqual(refused('jti must be 1..128 characters'));
    expect(await verifySet(await signal({}, { jti: 'x'.repeat(128) }), ctx)).toMatchObject({ ok: true, event: { jti: 'x'.repeat(128) } });
    expect(await verifySet(await signal({}, { txn: '' }), ctx)).toEqual(refused('txn must be 1..128 characters'));
    expect(await verifySet(await signal({}, { txn: 't'.repeat(129) }), ctx)).toEqual(refused('txn must be 1..128 characters'));
    expect(await verifySet(await signal({}, { txn: 't-1' }), ctx)).toMatchObject({ ok: true, event: { txn: 't-1' } });
    expect(await verifySet(await signal({}, { sub: 'x' }), ctx)).toEqual(refused('claim sub is forbidden (SSF)'));
    expect(await verifySet(await signal({}, { exp: NOW + 60 }), ctx)).toEqual(refused('claim exp is forbidden (SSF)'));
    expect(await verifySet(await signal({}, { iss: 'shop-b' }), ctx)).toEqual(refused('iss must be the authenticated partner "bank-a"', 'invalid_issuer'));
    const aud = refused('aud must be "risk-exchange" (a string or a one-element array)', 'invalid_audience');
    expect(await verifySet(await signal({}, { aud: ['risk-exchange', 'other'] }), ctx)).toEqual(aud);
    expect(await verifySet(await signal({}, { aud: 'other' }), ctx)).toEqual(aud);
    expect(await verifySet(await signal({}, { aud: ['risk-exchange'] }), ctx)).toMatchObject({ ok: true });
    expect(await verifySet(await signal({}, { sub_id: { format: 'email', id: SUBJECT } }), ctx)).toEqual(refused('sub_id must be {"format":"opaque","id":...}'));
    expect(await verifySet(await signal({}, { sub_id: { format: 'opaque', id: 'short' } }), ctx)).toEqual(refused('sub_id.id must be 8..256 characters of [A-Za-z0-9._~:+/=-]'));
    expect(await verifySet(await signal({}, { events: {} }), ctx)).toEqual(refused('events must hold exactly one event'));
    expect(await verifySet(await signal({}, { events: { 'urn:x': {} } }), ctx)).toEqual(refused('unknown event type "urn:x"'));
    expect(await verifySet(await signal({}), ctx)).toMatchObject({ ok: true });
  });

  it('reads lifts, retractions and legal requests', async () => {
    expect(await verifySet(await set('flag-lifted', { flag_jti: 'f-1' }), ctx)).toMatchObject({ ok: true, event: { targetJti: 'f-1' } });
    expect(await verifySet(await set('flag-lifted', {}), ctx)).toEqual(refused('flag_jti is required (1..128 characters)'));
    expect(await verifySet(await set('retraction', { retracts_jti: 's-1', reason: 'error' }), ctx)).toMatchObject({ ok: true, event: { targetJti: 's-1', retractionReason: 'error' } });
    expect(await verifySet(await set('retraction', { retracts_jti: 's-1' }), ctx)).toEqual(refused('reason is required'));
    const legal = { kind: 'disclosure', legal_basis: 'art. 5', case_reference: 'c-1', authority: 'court' };
    const asLegal = { ...ctx, partner: { ...bankA, kind: 'LEGAL' } };
    expect(await verifySet(await set('legal-request', { ...legal, deadline: NOW + 1, justification: 'j' }), asLegal)).toMatchObject({ ok: true, event: { legal: { ...legal, deadline: NOW + 1, justification: 'j' } } });
    expect(await verifySet(await set('legal-request', { ...legal, deadline: NOW }), asLegal)).toEqual(refused('deadline must be after iat'));
    expect(await verifySet(await set('legal-request', { ...legal, authority: '' }), asLegal)).toEqual(refused('authority must be 1..256 characters'));
    expect(await verifySet(await set('legal-request', legal), ctx)).toEqual(refused('only LEGAL partners may publish legal requests', 'access_denied'));
  });
});
