import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { PublicJwk } from '../../partners/jwk-policy';
import { validateMaxIatAge, validateSsfIssuer } from '../../partners/ssf-identity';
import { PSEUDONYMOUS_ID_HOW } from '../set-profile';
import { SetContext, verifySet } from '../set-verifier';
import { bearerChallenge } from './bearer-challenge';
import { RISC_ACCOUNT_DISABLED, RISC_ACCOUNT_ENABLED, RISC_CREDENTIAL_COMPROMISE, SSF_STREAM_UPDATED, SSF_VERIFICATION } from './ssf-mapping';

// Issue 14 in the pure verifier: a partner's SSF issuer URL, an aud array, push-token binding, and
// the RISC/CAEP/SSF mapping of the README's table, rule by rule.
const NOW = 1_800_000_000;
const ISSUER = 'https://idp.bank-a.example/';
const SUBJECT = 'v1:d-J4Z9j6wE2SO7cuOdyyRJuK45akgoE6rVLZd2-mv5U';
let privateKey: CryptoKey;
let ctx: SetContext;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'idp-rs1', alg: 'RS256', use: 'sig' } as PublicJwk;
  ctx = { audience: 'risk-exchange', now: NOW, partner: { id: 'bank-a', kind: 'BANK', ssfIssuer: ISSUER, keys: [{ kid: 'idp-rs1', alg: 'RS256', status: 'ACTIVE', jwk }] } };
});

function sign(events: Record<string, unknown>, claims: Record<string, unknown> = {}): Promise<string> {
  const body = { iss: ISSUER, aud: ['https://other.example', 'risk-exchange'], iat: NOW, jti: 'risc-1', sub_id: { format: 'opaque', id: SUBJECT }, events, ...claims };
  for (const [k, v] of Object.entries(body)) if (v === undefined) delete (body as Record<string, unknown>)[k];
  return new SignJWT(body).setProtectedHeader({ alg: 'RS256', kid: 'idp-rs1', typ: 'secevent+jwt' }).sign(privateKey);
}
const refused = (description: string, code = 'invalid_request') => ({ ok: false, code, description });

describe('SSF identity in the SET verifier', () => {
  it('takes the partner SSF issuer as iss and an aud array that contains the gateway audience', async () => {
    const v = await verifySet(await sign({ [RISC_CREDENTIAL_COMPROMISE]: { credential_type: 'password' } }), ctx);
    expect(v).toMatchObject({ ok: true, event: { issuer: 'bank-a', jti: 'risc-1', subject: SUBJECT, disposition: 'store' } });
  });

  it('keeps the profile rules for the partner id as iss, and names both issuers when iss is neither', async () => {
    const twoAud = await sign({ [RISC_CREDENTIAL_COMPROMISE]: {} }, { iss: 'bank-a' });
    expect(await verifySet(twoAud, ctx)).toEqual(refused('aud must be "risk-exchange" (a string or a one-element array)', 'invalid_audience'));
    expect(await verifySet(await sign({ [RISC_CREDENTIAL_COMPROMISE]: {} }, { aud: ['https://other.example'] }), ctx)).toEqual(
      refused('aud must be "risk-exchange" or an array of strings that contains it', 'invalid_audience'),
    );
    expect(await verifySet(await sign({ [RISC_CREDENTIAL_COMPROMISE]: {} }, { iss: 'https://idp.bank-a.example' }), ctx)).toEqual(
      refused(`iss must be the authenticated partner "bank-a" or its SSF issuer "${ISSUER}"`, 'invalid_issuer'),
    );
    expect(await verifySet(await sign({ [RISC_CREDENTIAL_COMPROMISE]: {} }, { iss: 'bank-a', aud: 'risk-exchange' }), ctx)).toMatchObject({ ok: true });
  });

  it('refuses, for a push token, a SET of another issuer with access_denied before looking for its key', async () => {
    const foreign = await sign({ [RISC_CREDENTIAL_COMPROMISE]: {} }, { iss: 'https://idp.shop-b.example/' });
    expect(await verifySet(foreign, { ...ctx, viaPushToken: true })).toEqual(
      refused('this push token is partner "bank-a"\'s: a SET whose iss is "https://idp.shop-b.example/" cannot be posted with it', 'access_denied'),
    );
    expect(await verifySet(foreign, ctx)).toMatchObject({ ok: false, code: 'invalid_issuer' });
    expect(await verifySet(await sign({ [RISC_CREDENTIAL_COMPROMISE]: {} }), { ...ctx, viaPushToken: true })).toMatchObject({ ok: true });
  });

  it("applies the partner's own iat window", async () => {
    const old = await sign({ [RISC_CREDENTIAL_COMPROMISE]: {} }, { iat: NOW - 8 * 86_400 });
    expect(await verifySet(old, ctx)).toEqual(refused('iat is too old'));
    expect(await verifySet(old, { ...ctx, maxIatAgeSeconds: 30 * 86_400 })).toMatchObject({ ok: true });
  });
});

describe('RISC, CAEP and SSF events', () => {
  it('maps credential-compromise and account-disabled (hijacking) to account_takeover signals', async () => {
    const compromise = await verifySet(await sign({ [RISC_CREDENTIAL_COMPROMISE]: { credential_type: 'password', event_timestamp: NOW - 60 } }), ctx);
    expect(compromise).toMatchObject({
      ok: true,
      event: {
        type: 'urn:risk-exchange:event:risk-signal', category: 'account_takeover', score: 0.7, confidence: 0.8, reasonCodes: ['risc_credential_compromise'],
        observedAt: NOW - 60, expiresAt: NOW + 90 * 86_400, distribution: 'granted', evidence: { credential_type: 'password' },
        standardType: RISC_CREDENTIAL_COMPROMISE, mappedDetails: { mapped_from: RISC_CREDENTIAL_COMPROMISE },
      },
    });
    const hijack = await verifySet(await sign({ [RISC_ACCOUNT_DISABLED]: { reason: 'hijacking' } }), ctx);
    expect(hijack).toMatchObject({ ok: true, event: { type: 'urn:risk-exchange:event:risk-signal', category: 'account_takeover', score: 0.9, confidence: 0.9, reasonCodes: ['risc_account_disabled_hijacking'] } });
  });

  it('maps account-disabled otherwise to a freeze flag, and account-enabled to the lift of that freeze', async () => {
    for (const [payload, codes, details] of [
      [{}, ['risc_account_disabled'], { mapped_from: RISC_ACCOUNT_DISABLED }],
      [{ reason: 'bulk-account' }, ['risc_account_disabled', 'risc_bulk_account'], { mapped_from: RISC_ACCOUNT_DISABLED, reason: 'bulk-account' }],
    ] as const) {
      expect(await verifySet(await sign({ [RISC_ACCOUNT_DISABLED]: payload }), ctx)).toMatchObject({
        ok: true,
        event: { type: 'urn:risk-exchange:event:account-flag', action: 'freeze', reasonCodes: codes, effectiveAt: NOW, distribution: 'consortium', mappedDetails: details },
      });
    }
    expect(await verifySet(await sign({ [RISC_ACCOUNT_ENABLED]: {} }), ctx)).toMatchObject({
      ok: true,
      event: { type: 'urn:risk-exchange:event:flag-lifted', targetJti: null, liftsMappedFreeze: true, reasonCodes: ['risc_account_enabled'] },
    });
  });

  it('answers control events (sub_id optional) and unmapped standard events as ignored, and refuses unknown other types', async () => {
    const verification = await verifySet(await sign({ [SSF_VERIFICATION]: { state: 'abc' } }, { sub_id: undefined }), ctx);
    expect(verification).toMatchObject({ ok: true, event: { disposition: 'ignore', ignoreReason: 'control', type: null, standardType: SSF_VERIFICATION } });
    const updated = await verifySet(await sign({ [SSF_STREAM_UPDATED]: { status: 'paused' } }, { sub_id: { format: 'opaque', id: 'stream-1' } }), ctx);
    expect(updated).toMatchObject({ ok: true, event: { disposition: 'ignore', ignoreReason: 'control' } });
    const caep = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
    expect(await verifySet(await sign({ [caep]: {} }), ctx)).toMatchObject({ ok: true, event: { disposition: 'ignore', ignoreReason: 'unmapped', standardType: caep } });
    expect(await verifySet(await sign({ 'https://example.com/event/other': {} }), ctx)).toEqual(refused('unknown event type "https://example.com/event/other"'));
    // A standard event still needs its subject.
    expect(await verifySet(await sign({ [caep]: {} }, { sub_id: undefined }), ctx)).toEqual(refused('claim sub_id is required'));
  });

  it('refuses any subject format but opaque, saying how to make the pseudonymous id', async () => {
    const email = await sign({ [RISC_CREDENTIAL_COMPROMISE]: { credential_type: 'password' } }, { sub_id: { format: 'email', email: 'joe@example.com' } });
    expect(await verifySet(email, ctx)).toEqual(refused(`sub_id must be {"format":"opaque","id":...}; ${PSEUDONYMOUS_ID_HOW}`));
    expect(PSEUDONYMOUS_ID_HOW).toMatch(/"v1:" \+ base64url\(HMAC-SHA256\(/);
    const issSub = await sign({ [RISC_ACCOUNT_DISABLED]: {} }, { sub_id: { format: 'iss_sub', iss: ISSUER, sub: 'u-1' } });
    expect(await verifySet(issSub, ctx)).toMatchObject({ ok: false, code: 'invalid_request' });
    expect(await verifySet(await sign({ [RISC_ACCOUNT_DISABLED]: {} }), ctx)).toMatchObject({ ok: true });
  });
});

describe('WWW-Authenticate on a 401 of POST /events (RFC 6750 section 3)', () => {
  it('has no error code without bearer credentials, else invalid_token with a quotable description', () => {
    expect(bearerChallenge(undefined, 'x')).toBe('Bearer realm="risk-exchange"');
    expect(bearerChallenge('Basic abc', 'x')).toBe('Bearer realm="risk-exchange"');
    expect(bearerChallenge('Bearer rxp_x', 'token "rxp_x" is \\ unknown é')).toBe('Bearer realm="risk-exchange", error="invalid_token", error_description="token \'rxp_x\' is \' unknown ?"');
  });
});

describe('partner SSF identity rules', () => {
  it('takes an https issuer URL exactly as given, and a bounded iat window', () => {
    expect(validateSsfIssuer(ISSUER)).toBe(ISSUER);
    expect(validateSsfIssuer('https://idp.example.com/tenant/7')).toBe('https://idp.example.com/tenant/7');
    expect(validateSsfIssuer(null)).toBeNull();
    for (const bad of ['http://idp.example.com', 'https://', 'https://idp.example.com/?a=1', 'https://idp.example.com/#x', 'https://u:p@idp.example.com', 'https://idp example.com', `https://${'a'.repeat(510)}`, 'idp.example.com']) {
      expect(() => validateSsfIssuer(bad)).toThrow(/^ssfIssuer must be an https URL/);
    }
    expect(validateMaxIatAge(300)).toBe(300);
    expect(validateMaxIatAge(2_592_000)).toBe(2_592_000);
    expect(validateMaxIatAge(undefined)).toBeNull();
    for (const bad of [299, 2_592_001, 1.5]) expect(() => validateMaxIatAge(bad)).toThrow(/^maxIatAgeSeconds must be an integer in 300\.\.2592000/);
  });
});
