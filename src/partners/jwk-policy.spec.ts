import vectors from '../../test/fixtures/vectors.json';
import { JwkPolicyError, parseJwks, validatePublicJwk } from './jwk-policy';

describe('JWK policy (token profile section 1)', () => {
  // The vectors give a `why` in words; each is pinned to the message of the rule that must refuse it.
  const WHY: Record<string, RegExp> = {
    'RSA under 2048 bits (RS256 too)': /^RSA keys must be at least 2048 bits; this one has 1024$/,
    'alg RS384 is not allowed': /^alg "RS384" is not allowed for kty RSA; use PS256 or RS256$/,
    'private key material': /^private key material is refused \(member "d"\)/,
    'symmetric key': /^symmetric keys \(kty "oct"\) are refused$/,
    'RSA under 2048 bits': /^RSA keys must be at least 2048 bits; this one has 1024$/,
    'kid required': /^kid is required$/,
    'curve not allowed': /^curve "P-384" is not allowed/,
  };
  it('has the 7 refused keys of v1.1, each with a known reason', () => {
    expect(vectors.refused_at_registration).toHaveLength(7);
    for (const v of vectors.refused_at_registration) expect(WHY[v.why]).toBeInstanceOf(RegExp);
  });

  it.each(vectors.refused_at_registration.map((v) => [v.name, v.why, v.jwk] as const))('refuses %s (%s)', (_name, why, jwk) => {
    expect(() => validatePublicJwk(jwk)).toThrow(JwkPolicyError);
    expect(() => validatePublicJwk(jwk)).toThrow(WHY[why]);
    expect(validatePublicJwk(vectors.partners['bank-a'].keys[0]).kid).toBe('bank-a-ed1');
  });

  it('keeps an RSA key to its registered algorithm: PS256 by default, RS256 when asked', () => {
    const rs = vectors.partners['bank-a'].keys.find((k) => k.alg === 'RS256')!;
    expect(validatePublicJwk(rs).alg).toBe('RS256');
    expect(validatePublicJwk({ ...rs, alg: undefined }).alg).toBe('PS256');
    expect(validatePublicJwk({ ...rs, alg: 'PS256' }).alg).toBe('PS256');
    expect(() => validatePublicJwk({ ...rs, alg: 'RS512' })).toThrow(/use PS256 or RS256/);
    expect(() => validatePublicJwk({ ...vectors.partners['bank-a'].keys[0], alg: 'RS256' })).toThrow(/not allowed for kty OKP; use EdDSA/);
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
