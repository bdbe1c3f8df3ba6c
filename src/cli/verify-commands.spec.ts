import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { mintAssertion } from './assertion';
import { explainToken } from './verify-commands';

describe('explainToken (verify)', () => {
  let priv: Parameters<SignJWT['sign']>[0];
  let jwks: Array<Record<string, unknown>>;
  const now = 1_800_000_000;

  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    priv = pair.privateKey;
    jwks = [{ ...(await exportJWK(pair.publicKey)), kid: 'gw-1', alg: 'EdDSA' }];
  });

  const notice = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT({ iss: 'https://gw.example', aud: 'stream-aud', iat: now, jti: 'd-1', sub_id: { format: 'opaque', id: 'v1:abcdefgh' }, events: { 'urn:risk-exchange:event:risk-tier-changed': { tier: 'warn' } }, ...claims })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'gw-1', typ: 'secevent+jwt', ...header })
      .sign(priv);

  it('explains a gateway notice (profile section 5) check by check', async () => {
    const r = await explainToken(await notice({}), jwks, { audience: 'stream-aud', now });
    expect(r).toMatchObject({ valid: true, kind: 'gateway-notice' });
    expect(r.checks.map((c) => c.check)).toEqual(['compact form', 'header is a JSON object', 'typ', 'no key-bearing or critical headers', 'alg', 'kid', 'key in the JWKS', 'alg matches the key', 'signature', 'iss', 'aud', 'iat', 'jti', 'no sub or exp', 'events']);
    const wrongAud = await explainToken(await notice({}), jwks, { audience: 'other', now });
    expect(wrongAud.valid).toBe(false);
    expect(wrongAud.checks.find((c) => !c.ok)).toMatchObject({ check: 'aud' });
    expect((await explainToken(await notice({ exp: now + 60 }), jwks, { audience: 'stream-aud', now })).checks.find((c) => !c.ok)).toMatchObject({ check: 'no sub or exp' });
  });

  it('stops at a refused header, before any key is looked at', async () => {
    const r = await explainToken(await notice({}, { jku: 'https://evil.example/jwks' }), jwks, { audience: 'stream-aud', now });
    expect(r.valid).toBe(false);
    expect(r.checks.at(-1)).toMatchObject({ check: 'no key-bearing or critical headers', ok: false, detail: expect.stringMatching(/refused: jku/) });
  });

  it('runs the gateway assertion rules: an expired assertion fails with the rule named', async () => {
    const jwk = { ...(await exportJWK(priv as never)), kid: 'gw-1', alg: 'EdDSA' };
    const token = await mintAssertion(jwk, 'bank-a', 'risk-exchange', 120, now);
    expect(await explainToken(token, jwks, { audience: 'risk-exchange', now })).toMatchObject({ valid: true, kind: 'assertion' });
    const late = await explainToken(token, jwks, { audience: 'risk-exchange', now: now + 600 });
    expect(late.valid).toBe(false);
    expect(late.checks.at(-1)!.detail).toMatch(/^exp: /);
    expect((await explainToken('not.a token', jwks, { audience: 'x', now })).checks).toEqual([{ check: 'compact form', ok: false, detail: expect.any(String) }]);
  });
});
