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

describe('weak public keys', () => {
  const small = [
    '0100000000000000000000000000000000000000000000000000000000000000',
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0000000000000000000000000000000000000000000000000000000000000080',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  ];
  it.each(small)('refuses the small-order or non-canonical Ed25519 point %s', (hex) => {
    const x = Buffer.from(hex, 'hex').toString('base64url');
    expect(() => validatePublicJwk({ kty: 'OKP', crv: 'Ed25519', x, kid: 'k' })).toThrow(/small-order or non-canonical/);
    expect(validatePublicJwk(vectors.partners['bank-a'].keys[0]).kty).toBe('OKP');
  });

  it('refuses an RSA exponent other than 65537', () => {
    const rsa = vectors.partners['bank-a'].keys[2];
    for (const e of ['AQ', 'Aw', 'AQAA', 'AQAC']) expect(() => validatePublicJwk({ ...rsa, e })).toThrow(/65537/);
    expect(validatePublicJwk(rsa).kty).toBe('RSA');
  });
});
