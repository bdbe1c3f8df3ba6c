// Key rules of the token profile, section 1. Pure: no Nest or TypeORM import.
import { SigningAlg } from './partner.enums';

export interface PublicJwk {
  kty: string;
  kid: string;
  alg: SigningAlg;
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  use?: string;
}

export class JwkPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwkPolicyError';
  }
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const B64URL = /^[A-Za-z0-9_-]+$/;
const MAX_KID = 128;

function b64urlBytes(name: string, value: unknown): number {
  if (typeof value !== 'string' || value.length === 0 || !B64URL.test(value)) {
    throw new JwkPolicyError(`member "${name}" must be a non-empty base64url string`);
  }
  return Buffer.from(value, 'base64url').length;
}

function expectAlg(jwk: Record<string, unknown>, alg: SigningAlg): SigningAlg {
  if (jwk.alg !== undefined && jwk.alg !== alg) {
    const allowed = jwk.kty === 'RSA' ? `${alg} or ${SigningAlg.RS256}` : alg;
    throw new JwkPolicyError(`alg "${String(jwk.alg)}" is not allowed for kty ${String(jwk.kty)}; use ${allowed}`);
  }
  return alg;
}

/**
 * Checks one public JWK against the profile and returns the canonical public form that is stored.
 * Refuses private material, symmetric keys, other curves, RSA under 2048 bits, and a missing or
 * over-long kid. (The "kid already used by this partner" rule needs the database: see PartnersService.)
 */
export function validatePublicJwk(input: unknown): PublicJwk {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new JwkPolicyError('a JWK must be a JSON object');
  }
  const jwk = input as Record<string, unknown>;
  // A symmetric key is named as such (its "k" would otherwise read as private material).
  if (jwk.kty === 'oct') throw new JwkPolicyError('symmetric keys (kty "oct") are refused');
  const present = PRIVATE_MEMBERS.filter((m) => m in jwk);
  if (present.length > 0) {
    throw new JwkPolicyError(`private key material is refused (member "${present[0]}"); register the public key only`);
  }
  const kid = jwk.kid;
  if (typeof kid !== 'string' || kid.length === 0) throw new JwkPolicyError('kid is required');
  if (kid.length > MAX_KID) throw new JwkPolicyError(`kid is longer than ${MAX_KID} characters`);
  if (!/^[\x21-\x7e]+$/.test(kid)) throw new JwkPolicyError('kid must be printable ASCII without spaces');
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new JwkPolicyError('use must be "sig" when present');

  switch (jwk.kty) {
    case 'OKP': {
      if (jwk.crv !== 'Ed25519') throw new JwkPolicyError(`curve "${String(jwk.crv)}" is not allowed; OKP keys must be Ed25519`);
      if (b64urlBytes('x', jwk.x) !== 32) throw new JwkPolicyError('an Ed25519 "x" must be 32 bytes');
      if (isWeakEd25519(Buffer.from(jwk.x as string, 'base64url'))) {
        throw new JwkPolicyError('this Ed25519 "x" is a small-order or non-canonical point: signatures under it can be forged');
      }
      return { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string, kid, alg: expectAlg(jwk, SigningAlg.EdDSA), use: 'sig' };
    }
    case 'EC': {
      if (jwk.crv !== 'P-256') throw new JwkPolicyError(`curve "${String(jwk.crv)}" is not allowed; EC keys must be P-256`);
      if (b64urlBytes('x', jwk.x) !== 32 || b64urlBytes('y', jwk.y) !== 32) {
        throw new JwkPolicyError('P-256 "x" and "y" must be 32 bytes each');
      }
      return { kty: 'EC', crv: 'P-256', x: jwk.x as string, y: jwk.y as string, kid, alg: expectAlg(jwk, SigningAlg.ES256), use: 'sig' };
    }
    case 'RSA': {
      const modulus = Buffer.from(String(jwk.n ?? ''), 'base64url');
      b64urlBytes('n', jwk.n);
      b64urlBytes('e', jwk.e);
      if (jwk.e !== 'AQAB') throw new JwkPolicyError('RSA public exponent "e" must be 65537 ("AQAB")');
      const bits = rsaModulusBits(modulus);
      if (bits < 2048) throw new JwkPolicyError(`RSA keys must be at least 2048 bits; this one has ${bits}`);
      if (bits > 8192) throw new JwkPolicyError(`RSA keys over 8192 bits are refused; this one has ${bits}`);
      // PS256 by default; RS256 when registered so (profile v1.1). The key verifies that one algorithm only.
      const alg = jwk.alg === SigningAlg.RS256 ? SigningAlg.RS256 : expectAlg(jwk, SigningAlg.PS256);
      return { kty: 'RSA', n: jwk.n as string, e: jwk.e as string, kid, alg, use: 'sig' };
    }
    default:
      throw new JwkPolicyError(`key type "${String(jwk.kty)}" is not allowed; use OKP/Ed25519, EC/P-256 or RSA >= 2048`);
  }
}

const ED25519_P = (1n << 255n) - 19n;
const ED25519_ORDER8_Y = 2707385501144840649318225287225658788936804267575313519463743609750303402022n;

/**
 * True for encodings whose point has small order (y in {0, 1, p-1} or an order-8 y) or whose
 * y is not reduced (y >= p): with such a key, one signature verifies for any message.
 */
export function isWeakEd25519(x: Buffer): boolean {
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? x[i] & 0x7f : x[i]);
  if (y >= ED25519_P) return true;
  return [0n, 1n, ED25519_P - 1n, ED25519_ORDER8_Y, ED25519_P - ED25519_ORDER8_Y].includes(y);
}

function rsaModulusBits(modulus: Buffer): number {
  let i = 0;
  while (i < modulus.length && modulus[i] === 0) i++;
  if (i === modulus.length) return 0;
  return (modulus.length - i - 1) * 8 + (32 - Math.clz32(modulus[i]));
}

/** Parses a JWKS given as JSON text (`{"keys":[...]}`) and validates every key, including duplicate kids. */
export function parseJwks(text: string): PublicJwk[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new JwkPolicyError('not valid JSON; expected {"keys":[...]}');
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new JwkPolicyError('must be an object with a non-empty "keys" array');
  if (keys.length > 20) throw new JwkPolicyError('holds more than 20 keys');
  const seen = new Set<string>();
  return keys.map((k, i) => {
    let key: PublicJwk;
    try {
      key = validatePublicJwk(k);
    } catch (e) {
      throw new JwkPolicyError(`keys[${i}]: ${(e as Error).message}`);
    }
    if (seen.has(key.kid)) throw new JwkPolicyError(`keys[${i}]: kid "${key.kid}" is used twice`);
    seen.add(key.kid);
    return key;
  });
}

/** Parses one JWK given as JSON text. */
export function parseJwk(text: string): PublicJwk {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new JwkPolicyError('not valid JSON');
  }
  return validatePublicJwk(parsed);
}
