import vectors from '../../test/fixtures/vectors.json';
import { JwkPolicyError, parseJwks, validatePublicJwk } from './jwk-policy';

describe('JWK policy (token profile section 1)', () => {
  it.each(vectors.refused_at_registration.map((v) => [v.name, v.why, v.jwk] as const))('refuses %s (%s)', (_name, _why, jwk) => {
    expect(() => validatePublicJwk(jwk)).toThrow(JwkPolicyError);
  });

  it.each(vectors.partners['bank-a'].keys.map((k) => [k.kid, k] as const))('accepts the registered key %s', (_kid, jwk) => {
    expect(validatePublicJwk(jwk)).toMatchObject({ kid: jwk.kid, alg: jwk.alg });
  });

  it('names the problem', () => {
    const [ed] = vectors.partners['bank-a'].keys;
    expect(() => validatePublicJwk({ ...ed, d: 'x' })).toThrow(/private key material/);
    expect(() => validatePublicJwk({ ...ed, kid: 'k'.repeat(129) })).toThrow(/longer than 128/);
    expect(() => validatePublicJwk({ ...ed, alg: 'ES256' })).toThrow(/not allowed for kty OKP/);
    expect(() => validatePublicJwk({ ...ed, x: 'short' })).toThrow(/32 bytes/);
    expect(() => validatePublicJwk([])).toThrow(/JSON object/);
    expect(validatePublicJwk(ed).kid).toBe(ed.kid);
  });

  it('refuses a JWKS that reuses a kid, and strips nothing but keeps public members only', () => {
    const [ed] = vectors.partners['bank-a'].keys;
    expect(() => parseJwks(JSON.stringify({ keys: [ed, ed] }))).toThrow(/used twice/);
    const [stored] = parseJwks(JSON.stringify({ keys: [{ ...ed, extra: 'ignored' }] }));
    expect(stored).toEqual({ kty: 'OKP', crv: 'Ed25519', x: ed.x, kid: ed.kid, alg: 'EdDSA', use: 'sig' });
  });
});
