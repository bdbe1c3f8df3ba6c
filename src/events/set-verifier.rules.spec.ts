import { CompactSign, importJWK, SignJWT, type JWK } from 'jose';
import vectors from '../../test/fixtures/vectors.json';
import type { PublicJwk } from '../partners/jwk-policy';
import { PSEUDONYMOUS_ID_HOW } from './set-profile';
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
        duplicateClaims: { sub_id: { format: 'opaque', id: SUBJECT }, txn: undefined, events: { 'urn:risk-exchange:event:account-flag': { action: 'freeze', reason_codes: ['mule_ring'] } } },
        disposition: 'store', standardType: null, ignoreReason: null, liftsMappedFreeze: false, mappedDetails: null,
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
    expect(await verifySet(await signal({ observed_at: -1 }), ctx)).toEqual(refused('observed_at must be a NumericDate in 0..253402300799'));
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
    expect(await verifySet(await signal({}, { sub_id: { format: 'email', id: SUBJECT } }), ctx)).toEqual(refused(`sub_id must be {"format":"opaque","id":...}; ${PSEUDONYMOUS_ID_HOW}`));
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

describe('SET verifier: form, header and key', () => {
  const seg = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');
  const HEADER = { alg: 'EdDSA', kid: 'bank-a-ed1', typ: 'secevent+jwt' };
  /** Signs raw payload text (numbers JSON cannot produce from JS, e.g. 1e400). */
  const rawSigned = async (payload: string, header: Record<string, unknown> = HEADER) =>
    new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader(header as never).sign(await importJWK(PRIVATE, 'EdDSA'));
  const claims = (extra: string) => `{"iss":"bank-a","aud":"risk-exchange","iat":${NOW},"jti":"j-raw","sub_id":{"format":"opaque","id":"${SUBJECT}"},"events":{"urn:risk-exchange:event:risk-signal":{"category":"other","score":0.5${extra}}}}`;

  it('names each form and header rule', async () => {
    const body = seg({ iss: 'bank-a' });
    const cases: Array<[unknown, string, string?]> = [
      ['', 'token is empty'],
      [null, 'token is empty'],
      ['a'.repeat(16 * 1024 + 1), 'token is larger than 16384 bytes'],
      [`${seg(HEADER)}.${body}`, 'token is not a compact JWS (three base64url segments)'],
      [`${seg(HEADER)}.${body}.c2ln.eA`, 'token is not a compact JWS (three base64url segments)'],
      [`${seg(HEADER)}.${body}.c2l+`, 'token is not a compact JWS (three base64url segments)'],
      [`+${seg(HEADER)}.${body}.c2ln`, 'token is not a compact JWS (three base64url segments)'],
      [`.${body}.c2ln`, 'token is not a compact JWS (three base64url segments)'],
      [`${seg(HEADER)}..c2ln`, 'token is not a compact JWS (three base64url segments)'],
      [`${seg('{no')}.${body}.c2ln`, 'header is not base64url-encoded JSON'],
      [`${seg('[1]')}.${body}.c2ln`, 'header must be a JSON object'],
      [`${seg('null')}.${body}.c2ln`, 'header must be a JSON object'],
      [`${seg({ ...HEADER, alg: 'HS256' })}.${body}.c2ln`, 'header alg must be one of EdDSA, ES256, PS256, RS256'],
      [`${seg({ ...HEADER, alg: 7 })}.${body}.c2ln`, 'header alg must be one of EdDSA, ES256, PS256, RS256'],
      [`${seg({ ...HEADER, kid: '' })}.${body}.c2ln`, 'header kid is required (1..128 characters)'],
      [`${seg({ ...HEADER, kid: 'k'.repeat(129) })}.${body}.c2ln`, 'header kid is required (1..128 characters)'],
      [`${seg({ ...HEADER, kid: 9 })}.${body}.c2ln`, 'header kid is required (1..128 characters)'],
      [`${seg({ ...HEADER, typ: 'JWT' })}.${body}.c2ln`, 'header typ must be "secevent+jwt"'],
      [`${seg({ ...HEADER, x5c: [] })}.${body}.c2ln`, 'header parameter "x5c" is not allowed'],
      [`${seg({ ...HEADER, kid: 'k'.repeat(128) })}.${body}.c2ln`, 'kid "' + 'k'.repeat(128) + '" is not a key of partner "bank-a"', 'invalid_key'],
      [`${seg({ ...HEADER, kid: 'k' })}.${body}.c2ln`, 'kid "k" is not a key of partner "bank-a"', 'invalid_key'],
      [`${seg({ ...HEADER, alg: 'ES256' })}.${body}.c2ln`, 'alg ES256 does not match key "bank-a-ed1" (EdDSA)', 'invalid_key'],
      [`${seg(HEADER)}.${body}.c2ln`, 'signature does not verify with key "bank-a-ed1"', 'invalid_key'],
    ];
    for (const [token, description, code = 'invalid_request'] of cases) {
      expect([String(token).slice(0, 40), await verifySet(token, ctx)]).toEqual([String(token).slice(0, 40), { ok: false, code, description }]);
    }
    const revoked = { ...ctx, partner: { ...bankA, keys: bankA.keys.map((k) => ({ ...k, status: 'REVOKED' as const })) } };
    expect(await verifySet(await signal({}), revoked)).toEqual({ ok: false, code: 'invalid_key', description: 'key "bank-a-ed1" is revoked' });
    expect(await verifySet(await signal({}), ctx)).toMatchObject({ ok: true });
  });

  it('names payload and claim-shape rules that only raw JSON can reach', async () => {
    expect(await verifySet(await rawSigned('{no'), ctx)).toEqual(refused('payload is not base64url-encoded JSON'));
    expect(await verifySet(await rawSigned('[1]'), ctx)).toEqual(refused('payload must be a JSON object'));
    expect(await verifySet(await rawSigned('"x"'), ctx)).toEqual(refused('payload must be a JSON object'));
    for (const name of ['iss', 'aud', 'iat', 'jti', 'sub_id', 'events']) {
      const c = JSON.parse(claims(''));
      delete c[name];
      expect(await verifySet(await rawSigned(JSON.stringify(c)), ctx)).toEqual(refused(`claim ${name} is required`));
    }
    const c = JSON.parse(claims(''));
    expect(await verifySet(await rawSigned(JSON.stringify({ ...c, iat: 1e400 }).replace('null', '1e400')), ctx)).toEqual(refused('iat must be a NumericDate in 0..253402300799'));
    expect(await verifySet(await rawSigned(JSON.stringify({ ...c, iat: -1 })), ctx)).toEqual(refused('iat must be a NumericDate in 0..253402300799'));
    expect(await verifySet(await rawSigned(JSON.stringify({ ...c, iat: String(NOW) })), ctx)).toEqual(refused('iat must be a NumericDate in 0..253402300799'));
    expect(await verifySet(await rawSigned(JSON.stringify({ ...c, events: [] })), ctx)).toEqual(refused('events must hold exactly one event'));
    expect(await verifySet(await rawSigned(JSON.stringify({ ...c, events: { 'urn:risk-exchange:event:risk-signal': [] } })), ctx)).toEqual(refused('the event must be a JSON object'));
    expect(await verifySet(await rawSigned(JSON.stringify({ ...c, events: { 'urn:risk-exchange:event:risk-signal': {}, 'urn:risk-exchange:event:retraction': {} } })), ctx)).toEqual(refused('events must hold exactly one event'));
    expect(await verifySet(await rawSigned(JSON.stringify({ ...c, sub_id: null })), ctx)).toEqual(refused(`sub_id must be {"format":"opaque","id":...}; ${PSEUDONYMOUS_ID_HOW}`));
    expect(await verifySet(await rawSigned(JSON.stringify({ ...c, sub_id: { format: 'opaque', id: 7 } })), ctx)).toEqual(refused('sub_id.id must be 8..256 characters of [A-Za-z0-9._~:+/=-]'));
    expect(await verifySet(await rawSigned(claims(',"observed_at":1e400')), ctx)).toEqual(refused('observed_at must be a NumericDate in 0..253402300799'));
    expect(await verifySet(await rawSigned(claims(',"evidence":null')), ctx)).toEqual(refused('evidence must be a JSON object'));
    expect(await verifySet(await rawSigned(claims(',"confidence":1e400')), ctx)).toEqual(refused('confidence must be a number in [0, 1]'));
    // iat 0 is a NumericDate (then too old): the boundary is >= 0.
    expect(await verifySet(await rawSigned(JSON.stringify({ ...c, iat: 0 })), ctx)).toEqual(refused('iat is too old'));
    expect(await verifySet(await rawSigned(claims('')), ctx)).toMatchObject({ ok: true, event: { jti: 'j-raw', category: 'other', score: 0.5 } });
  });

  it('counts the 16 KiB limit in UTF-8 bytes, and passes anything else a verifier throws', async () => {
    // 16384 bytes exactly is not over the limit (it then fails as a form error).
    expect(await verifySet('a'.repeat(16 * 1024), ctx)).toEqual(refused('token is not a compact JWS (three base64url segments)'));
    expect(await verifySet('é'.repeat(8 * 1024 + 1), ctx)).toEqual(refused('token is larger than 16384 bytes'));
    const failing = { ...ctx, importKey: async () => { throw new Error('boom'); } };
    expect(await verifySet(await signal({}), failing)).toEqual({ ok: false, code: 'invalid_key', description: 'signature does not verify with key "bank-a-ed1"' });
  });

  it('bounds legal texts and lift and retraction references', async () => {
    const asLegal = { ...ctx, partner: { ...bankA, kind: 'LEGAL' } };
    const legal = { kind: 'freeze', legal_basis: 'b', case_reference: 'c', authority: 'a' };
    expect(await verifySet(await set('legal-request', { ...legal, legal_basis: 'x'.repeat(513) }), asLegal)).toEqual(refused('legal_basis must be 1..512 characters'));
    expect(await verifySet(await set('legal-request', { ...legal, legal_basis: 'x'.repeat(512) }), asLegal)).toMatchObject({ ok: true });
    expect(await verifySet(await set('legal-request', { ...legal, case_reference: undefined }), asLegal)).toEqual(refused('case_reference must be 1..128 characters'));
    expect(await verifySet(await set('legal-request', { ...legal, justification: '' }), asLegal)).toEqual(refused('justification must be 1..4096 characters'));
    expect(await verifySet(await set('legal-request', { ...legal, justification: 'x'.repeat(4097) }), asLegal)).toEqual(refused('justification must be 1..4096 characters'));
    expect(await verifySet(await set('legal-request', { ...legal, kind: 'seize' }), asLegal)).toEqual(refused('kind must be one of disclosure, freeze, preservation'));
    expect(await verifySet(await set('legal-request', { ...legal, deadline: NOW - 1 }), asLegal)).toEqual(refused('deadline must be after iat'));
    expect(await verifySet(await set('legal-request', legal), asLegal)).toMatchObject({ ok: true, event: { legal } });
    expect(await verifySet(await set('flag-lifted', { flag_jti: 'x'.repeat(129) }), ctx)).toEqual(refused('flag_jti is required (1..128 characters)'));
    expect(await verifySet(await set('flag-lifted', { flag_jti: 'x'.repeat(128), reason_codes: ['ok'] }), ctx)).toMatchObject({ ok: true, event: { targetJti: 'x'.repeat(128), reasonCodes: ['ok'] } });
    expect(await verifySet(await set('retraction', { retracts_jti: '', reason: 'error' }), ctx)).toEqual(refused('retracts_jti is required (1..128 characters)'));
    expect(await verifySet(await set('retraction', { retracts_jti: 's', reason: 'oops' }), ctx)).toEqual(refused('reason must be one of false_positive, disputed, error, superseded'));
  });
});

describe('SET verifier: the last boundaries mutation testing found', () => {
  it('bounds jti and txn at 1 and 128 characters and requires strings', async () => {
    expect(await verifySet(await signal({}, { jti: 'j' }), ctx)).toMatchObject({ ok: true, event: { jti: 'j' } });
    expect(await verifySet(await signal({}, { jti: 5 }), ctx)).toEqual(refused('jti must be 1..128 characters'));
    expect(await verifySet(await signal({}, { txn: 'x' }), ctx)).toMatchObject({ ok: true, event: { txn: 'x' } });
    expect(await verifySet(await signal({}, { txn: 't'.repeat(128) }), ctx)).toMatchObject({ ok: true, event: { txn: 't'.repeat(128) } });
    expect(await verifySet(await signal({}, { txn: 5 }), ctx)).toEqual(refused('txn must be 1..128 characters'));
    expect(await verifySet(await signal({}, { sub_id: { format: 'opaque', id: 12345678 } }), ctx)).toEqual(refused('sub_id.id must be 8..256 characters of [A-Za-z0-9._~:+/=-]'));
  });

  it('refuses a reason-code list with one bad code among good ones, and keeps a flag\'s own distribution', async () => {
    expect(await verifySet(await signal({ reason_codes: ['ok', 'Bad'] }), ctx)).toEqual(refused('reason_codes must be at most 16 strings matching ^[a-z0-9_]{1,64}$'));
    expect(await verifySet(await signal({ reason_codes: ['ok', 7] }), ctx)).toEqual(refused('reason_codes must be at most 16 strings matching ^[a-z0-9_]{1,64}$'));
    expect(await verifySet(await flag({ distribution: 'issuer_only' }), ctx)).toMatchObject({ ok: true, event: { distribution: 'issuer_only' } });
  });

  it('requires legal_basis and authority, and adds no deadline or justification that was not sent', async () => {
    const asLegal = { ...ctx, partner: { ...bankA, kind: 'LEGAL' } };
    const legal = { kind: 'preservation', legal_basis: 'b', case_reference: 'c', authority: 'a' };
    expect(await verifySet(await set('legal-request', { ...legal, legal_basis: undefined }), asLegal)).toEqual(refused('legal_basis must be 1..512 characters'));
    expect(await verifySet(await set('legal-request', { ...legal, authority: undefined }), asLegal)).toEqual(refused('authority must be 1..256 characters'));
    const v = await verifySet(await set('legal-request', legal), asLegal);
    expect(v.ok && v.event.legal).toEqual(legal);
  });

  it('lets an error that is not a refusal through (a broken context is a bug, not a verdict)', async () => {
    const broken = { ...ctx, partner: { ...bankA, keys: null as never } };
    await expect(verifySet(await signal({}), broken)).rejects.toBeInstanceOf(TypeError);
    expect(await verifySet(await signal({}), ctx)).toMatchObject({ ok: true });
  });
});

// Mutants left alive by `npm run mutation` in set-verifier.ts, all equivalent:
// - `typeof x !== 'string'` / `typeof v === 'number'` dropped where the next test (Number.isFinite,
//   .includes, a regex on 8+ characters, `.length` comparisons of undefined) refuses the same values.
// - `{ algorithms: [key.alg] }` -> `{}`: the header alg already equals the key's, and the key is
//   imported for that alg only.
// - the aud check with `Array.isArray` made true: a one-character string would have to equal the audience.
// - `'utf8'` emptied in Buffer.byteLength: UTF-8 is the default.
// - boundedText's `v === undefined && !required`: every caller passes required = true, and a given
//   justification is checked whatever the flag.
// - `e.observedAt !== null &&` made true: `null > iat` is false.

