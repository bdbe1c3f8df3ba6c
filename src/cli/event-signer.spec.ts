import { compactVerify, exportJWK, generateKeyPair, importJWK } from 'jose';
import { claimsOf, derivedJti, EventRefusal, EventSigner, publicJwkOf, toNumericDate } from './event-signer';

const SUBJECT = 'v1:EOWFKSqM1wFf4IVLRefkghzL95lsv0mTkBuZc_KpgiI';

describe('claims of an unsigned event', () => {
  it('turns the short form into SET claims: type URI, dates, comma-separated reason codes, evidence text', () => {
    const c = claimsOf({ type: 'risk-signal', subject: SUBJECT, category: 'cash_out', score: 0.8, reason_codes: 'a_b, c', observed_at: '2026-01-01T00:00:00Z', evidence: '{"n":1}', txn: 't-1' }, 'bank-a', 'risk-exchange', 1_800_000_000);
    expect(c).toEqual({
      sub_id: { format: 'opaque', id: SUBJECT },
      events: { 'urn:risk-exchange:event:risk-signal': { category: 'cash_out', score: 0.8, reason_codes: ['a_b', 'c'], observed_at: 1767225600, evidence: { n: 1 } } },
      txn: 't-1', iss: 'bank-a', aud: 'risk-exchange', iat: 1_800_000_000, jti: c.jti,
    });
  });

  it('keeps full claims as given and fills only what is missing', () => {
    const given = { sub_id: { format: 'opaque', id: SUBJECT }, events: { 'urn:risk-exchange:event:account-flag': { action: 'warn' } }, jti: 'j-1', iat: 5 };
    expect(claimsOf(given, 'bank-a', 'aud-x', 9)).toEqual({ ...given, iss: 'bank-a', aud: 'aud-x' });
  });

  it('derives the jti from sub_id, txn and events only: another iat gives the same jti, another field another one', () => {
    const e = { type: 'account-flag', subject: SUBJECT, action: 'freeze' };
    const a = claimsOf(e, 'bank-a', 'risk-exchange', 1);
    expect(claimsOf(e, 'bank-a', 'risk-exchange', 2).jti).toBe(a.jti);
    expect(claimsOf({ ...e, action: 'warn' }, 'bank-a', 'risk-exchange', 1).jti).not.toBe(a.jti);
    expect(a.jti).toBe(derivedJti(a));
    expect(String(a.jti)).toMatch(/^cx-[\w-]{40}$/);
  });

  it('names what is missing or malformed', () => {
    expect(() => claimsOf({ subject: SUBJECT }, 'b', 'a', 1)).toThrow(/"type" is required/);
    expect(() => claimsOf({ type: 'risk-signal' }, 'b', 'a', 1)).toThrow(/"subject" is required/);
    expect(() => claimsOf({ type: 'bogus', subject: SUBJECT }, 'b', 'a', 1)).toThrow(/type "bogus" is not one of/);
    expect(() => toNumericDate('yesterday', 'expires_at')).toThrow(/expires_at must be seconds since 1970 or an RFC 3339/);
    expect(toNumericDate('1700000000', 'x')).toBe(1_700_000_000);
  });
});

describe('EventSigner', () => {
  it('signs with the key, and refuses what the gateway verifier refuses (with its code)', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'ES256' };
    expect((publicJwkOf(jwk) as unknown as Record<string, unknown>).d).toBeUndefined();
    const signer = new EventSigner(jwk, 'bank-a', 'risk-exchange');
    const s = await signer.sign({ type: 'retraction', subject: SUBJECT, retracts_jti: 'x', reason: 'error' });
    const { protectedHeader } = await compactVerify(s.token, await importJWK(publicJwkOf(jwk) as never, 'ES256'));
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: 'k1', typ: 'secevent+jwt' });
    await expect(signer.sign({ type: 'retraction', subject: SUBJECT, retracts_jti: 'x', reason: 'because' })).rejects.toThrow(new EventRefusal('invalid_request', 'reason must be one of false_positive, disputed, error, superseded'));
    await expect(signer.sign({ type: 'account-flag', subject: SUBJECT, action: 'warn', iss: 'bank-z' } as never)).resolves.toBeDefined(); // iss inside the short form is a field, not the claim
    await expect(signer.sign({ sub_id: { format: 'opaque', id: SUBJECT }, events: { 'urn:risk-exchange:event:account-flag': { action: 'warn' } }, iss: 'bank-z' })).rejects.toMatchObject({ code: 'invalid_issuer' });
    // Unchecked (publish leaves the verdict to the gateway): the same bad event is signed.
    expect((await new EventSigner(jwk, 'bank-a', 'risk-exchange', false).sign({ type: 'retraction', subject: SUBJECT, retracts_jti: 'x', reason: 'because' })).token).toMatch(/^ey/);
  });
});
