import vectors from '../../test/fixtures/vectors.json';
import { isWeakEd25519, JwkPolicyError, parseJwk, parseJwks, validatePublicJwk } from './jwk-policy';

// Each key rule of profile section 1 with the exact message that names it, and the exact stored
// form of each accepted key type.
const [ED, EC, RSA] = vectors.partners['bank-a'].keys as unknown as Array<Record<string, string>>;
const refusal = (input: unknown): string | null => {
  try {
    validatePublicJwk(input);
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(JwkPolicyError);
    expect((e as Error).name).toBe('JwkPolicyError');
    return (e as Error).message;
  }
};
const b64 = (bytes: number[] | Buffer) => Buffer.from(bytes).toString('base64url');
/** An RSA modulus of `bits` bits (the top bit set), with `zeros` leading zero bytes. */
const modulus = (bits: number, zeros = 0) => {
  const bytes = Buffer.alloc(zeros + Math.ceil(bits / 8), 0xff);
  bytes.fill(0, 0, zeros);
  const top = bits % 8 === 0 ? 0xff : (1 << bits % 8) - 1;
  bytes[zeros] = top;
  return b64(bytes);
};

// Mutants left alive by `npm run mutation` in jwk-policy.ts, all equivalent:
// - `value.length === 0` dropped in b64urlBytes: the base64url regex needs one character anyway.
// - `String(jwk.n ?? '')` with another fallback: b64urlBytes('n', ...) refuses a missing n first.
// - rsaModulusBits' `i < modulus.length` made true or `<=`: past the end, modulus[i] is undefined, not 0.
describe('JWK policy: every rule by its message', () => {
  it('stores exactly the public members of each key type, with use "sig" and the alg of its type', () => {
    expect(validatePublicJwk({ ...ED, use: undefined, alg: undefined, extra: 1 })).toEqual({ kty: 'OKP', crv: 'Ed25519', x: ED.x, kid: ED.kid, alg: 'EdDSA', use: 'sig' });
    expect(validatePublicJwk({ ...EC, use: undefined })).toEqual({ kty: 'EC', crv: 'P-256', x: EC.x, y: EC.y, kid: EC.kid, alg: 'ES256', use: 'sig' });
    expect(validatePublicJwk({ ...RSA, alg: undefined })).toEqual({ kty: 'RSA', n: RSA.n, e: 'AQAB', kid: RSA.kid, alg: 'PS256', use: 'sig' });
  });

  it('refuses non-objects, private members, symmetric keys and bad kids', () => {
    for (const v of [null, 'x', 42, [ED]]) expect(refusal(v)).toBe('a JWK must be a JSON object');
    for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) {
      expect(refusal({ ...ED, [m]: 'AA' })).toBe(`private key material is refused (member "${m}"); register the public key only`);
    }
    expect(refusal({ kty: 'oct', kid: 'x' })).toBe('symmetric keys (kty "oct") are refused');
    expect(refusal({ ...ED, kid: undefined })).toBe('kid is required');
    expect(refusal({ ...ED, kid: '' })).toBe('kid is required');
    expect(refusal({ ...ED, kid: 7 })).toBe('kid is required');
    expect(refusal({ ...ED, kid: 'k'.repeat(129) })).toBe('kid is longer than 128 characters');
    expect(refusal({ ...ED, kid: 'k'.repeat(128) })).toBeNull();
    expect(refusal({ ...ED, kid: 'a b' })).toBe('kid must be printable ASCII without spaces');
    expect(refusal({ ...ED, kid: 'é' })).toBe('kid must be printable ASCII without spaces');
    expect(refusal({ ...ED, kid: '!~' })).toBeNull();
    expect(refusal({ ...ED, use: 'enc' })).toBe('use must be "sig" when present');
  });

  it('names the curve, size, alg and type rules', () => {
    expect(refusal({ ...ED, crv: 'X25519' })).toBe('curve "X25519" is not allowed; OKP keys must be Ed25519');
    expect(refusal({ ...ED, x: b64(Buffer.alloc(31, 9)) })).toBe('an Ed25519 "x" must be 32 bytes');
    expect(refusal({ ...ED, x: '' })).toBe('member "x" must be a non-empty base64url string');
    expect(refusal({ ...ED, x: 'a+b/' })).toBe('member "x" must be a non-empty base64url string');
    expect(refusal({ ...ED, x: `+${ED.x}` })).toBe('member "x" must be a non-empty base64url string');
    expect(refusal({ ...ED, x: `${ED.x}+` })).toBe('member "x" must be a non-empty base64url string');
    expect(refusal({ ...ED, x: 5 })).toBe('member "x" must be a non-empty base64url string');
    expect(refusal({ ...ED, alg: 'ES256' })).toBe('alg "ES256" is not allowed for kty OKP; use EdDSA');
    expect(refusal({ ...EC, crv: 'P-384' })).toBe('curve "P-384" is not allowed; EC keys must be P-256');
    expect(refusal({ ...EC, x: b64(Buffer.alloc(33, 9)) })).toBe('P-256 "x" and "y" must be 32 bytes each');
    expect(refusal({ ...EC, y: b64(Buffer.alloc(31, 9)) })).toBe('P-256 "x" and "y" must be 32 bytes each');
    expect(refusal({ ...EC, x: '' })).toBe('member "x" must be a non-empty base64url string');
    expect(refusal({ ...EC, y: '' })).toBe('member "y" must be a non-empty base64url string');
    expect(refusal({ ...EC, alg: 'EdDSA' })).toBe('alg "EdDSA" is not allowed for kty EC; use ES256');
    expect(refusal({ ...RSA, alg: 'RS384' })).toBe('alg "RS384" is not allowed for kty RSA; use PS256 or RS256');
    expect(refusal({ ...RSA, alg: 'RS256' })).toBeNull();
    expect(refusal({ ...RSA, n: undefined })).toBe('member "n" must be a non-empty base64url string');
    expect(refusal({ ...RSA, e: undefined })).toBe('member "e" must be a non-empty base64url string');
    expect(refusal({ ...RSA, e: 'AQAC' })).toBe('RSA public exponent "e" must be 65537 ("AQAB")');
    expect(refusal({ kty: 'EC2', kid: 'x' })).toBe('key type "EC2" is not allowed; use OKP/Ed25519, EC/P-256 or RSA >= 2048');
    expect(refusal({ kid: 'x' })).toBe('key type "undefined" is not allowed; use OKP/Ed25519, EC/P-256 or RSA >= 2048');
  });

  it('counts RSA modulus bits exactly, leading zero bytes excluded', () => {
    expect(refusal({ ...RSA, n: modulus(2047) })).toBe('RSA keys must be at least 2048 bits; this one has 2047');
    expect(refusal({ ...RSA, n: modulus(2047, 1) })).toBe('RSA keys must be at least 2048 bits; this one has 2047');
    expect(refusal({ ...RSA, n: modulus(2048, 2) })).toBeNull();
    expect(refusal({ ...RSA, n: modulus(2048) })).toBeNull();
    expect(refusal({ ...RSA, n: modulus(8192) })).toBeNull();
    expect(refusal({ ...RSA, n: modulus(8193) })).toBe('RSA keys over 8192 bits are refused; this one has 8193');
    expect(refusal({ ...RSA, n: b64([0, 0, 0]) })).toBe('RSA keys must be at least 2048 bits; this one has 0');
    expect(refusal({ ...RSA, n: b64([1]) })).toBe('RSA keys must be at least 2048 bits; this one has 1');
  });

  it('tells weak Ed25519 encodings from sound ones, the sign bit ignored', () => {
    const le = (y: bigint) => Buffer.from(y.toString(16).padStart(64, '0'), 'hex').reverse();
    const p = (1n << 255n) - 19n;
    expect(isWeakEd25519(le(p))).toBe(true);
    expect(isWeakEd25519(le(p - 1n))).toBe(true);
    expect(isWeakEd25519(le(p - 2n))).toBe(false);
    expect(isWeakEd25519(le(2n))).toBe(false);
    const one = le(1n);
    expect(isWeakEd25519(one)).toBe(true);
    one[31] |= 0x80; // the sign bit is not part of y
    expect(isWeakEd25519(one)).toBe(true);
    expect(isWeakEd25519(Buffer.from(ED.x, 'base64url'))).toBe(false);
  });
});

describe('JWKS and JWK text', () => {
  it('names the problem with the text and the index of the bad key', () => {
    const err = (f: () => unknown) => {
      try {
        f();
        return null;
      } catch (e) {
        expect(e).toBeInstanceOf(JwkPolicyError);
        return (e as Error).message;
      }
    };
    expect(err(() => parseJwks('{'))).toBe('not valid JSON; expected {"keys":[...]}');
    expect(err(() => parseJwks('null'))).toBe('must be an object with a non-empty "keys" array');
    expect(err(() => parseJwks('{"keys":[]}'))).toBe('must be an object with a non-empty "keys" array');
    expect(err(() => parseJwks('{"keys":{}}'))).toBe('must be an object with a non-empty "keys" array');
    const many = (n: number) => JSON.stringify({ keys: Array.from({ length: n }, (_, i) => ({ ...ED, kid: `k${i}` })) });
    expect(err(() => parseJwks(many(21)))).toBe('holds more than 20 keys');
    expect(parseJwks(many(20))).toHaveLength(20);
    expect(err(() => parseJwks(JSON.stringify({ keys: [ED, { ...EC, d: 'AA' }] })))).toBe('keys[1]: private key material is refused (member "d"); register the public key only');
    expect(err(() => parseJwks(JSON.stringify({ keys: [ED, EC, { ...RSA, kid: ED.kid }] })))).toBe(`keys[2]: kid "${ED.kid}" is used twice`);
    expect(parseJwks(JSON.stringify({ keys: [ED, EC, RSA] })).map((k) => k.kid)).toEqual([ED.kid, EC.kid, RSA.kid]);
    expect(err(() => parseJwk('{'))).toBe('not valid JSON');
    expect(err(() => parseJwk('[]'))).toBe('a JWK must be a JSON object');
    expect(parseJwk(JSON.stringify(EC))).toEqual(validatePublicJwk(EC));
  });
});
