// RFC 7523 sections 2.2 and 3: the client assertion of `private_key_jwt` client authentication.
// Pure: no Nest or TypeORM import; the clock and the key lookup are injected. The key and
// algorithm rules are those of the partner assertion (assertion-verifier.ts); the differences
// are what RFC 7523 says: `typ` absent or `JWT`, `aud` the token endpoint, `jti` required.
import { compactVerify, decodeProtectedHeader, type JWTPayload } from 'jose';
import { ALLOWED_ALGS, AssertionError, AssertionPartner, PARTNER_ID, REFUSED_HEADER_PARAMS, verifyWithPartnerKey } from '../assertion-verifier';

const MAX_ASSERTION_BYTES = 8 * 1024;
export const MAX_CLIENT_ASSERTION_LIFETIME_S = 300;
const CLOCK_TOLERANCE_S = 60;
/** `typ` values RFC 7519 section 5.1 and RFC 7515 section 4.1.9 allow for a plain JWT (compared case-insensitively). */
const JWT_TYPES = new Set(['jwt', 'application/jwt']);

/**
 * Rules that fail before the signature verifies and would tell which partners and kids exist:
 * they all read the same to the client. Every other rule is named (the form of a token tells
 * nothing, and after the signature only the key's holder is told).
 */
export const HIDDEN_CLIENT_RULES = new Set(['kid', 'signature']);

export interface ClientAssertionContext {
  /** Accepted `aud` values: the token endpoint URL and the issuer (RFC 7523 section 3, item 3). */
  audiences: readonly string[];
  /** Seconds since the epoch. */
  now: number;
  loadPartner(id: string): Promise<AssertionPartner | null>;
  importKey?(key: AssertionPartner['keys'][number]): Promise<Parameters<typeof compactVerify>[1]>;
}

export interface VerifiedClientAssertion {
  partnerId: string;
  kid: string;
  jti: string;
  /** Until when the assertion could be accepted (exp plus the clock tolerance): how long its jti is remembered. */
  acceptableUntil: number;
}

function fail(rule: string, message: string): never {
  throw new AssertionError(rule, message);
}

const isNumericDate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function decodePayload(segment: string): JWTPayload {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    fail('payload', 'client_assertion payload is not base64url-encoded JSON');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) fail('payload', 'client_assertion payload must be a JSON object');
  return payload as JWTPayload;
}

function checkHeader(token: string): { alg: string; kid: string } {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    fail('header', 'client_assertion header is not base64url-encoded JSON');
  }
  if (header.typ !== undefined && (typeof header.typ !== 'string' || !JWT_TYPES.has(header.typ.toLowerCase()))) {
    fail('typ', `client_assertion header typ must be absent or "JWT" (got "${String(header.typ).slice(0, 40)}"): a partner assertion, a SET or an access token is not a client assertion`);
  }
  if (typeof header.alg !== 'string' || !(ALLOWED_ALGS as readonly string[]).includes(header.alg)) {
    fail('alg', `client_assertion header alg must be one of ${ALLOWED_ALGS.join(', ')}`);
  }
  if (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > 128) {
    fail('kid-missing', 'client_assertion header kid is required (1..128 characters): the kid of the registered key that signed it');
  }
  for (const refused of REFUSED_HEADER_PARAMS) {
    if (refused in header) fail('header', `client_assertion header parameter "${refused}" is not allowed`);
  }
  return { alg: header.alg, kid: header.kid };
}

function checkTimes(claims: JWTPayload, now: number): number {
  if (!isNumericDate(claims.exp)) fail('exp', 'claim exp is required (NumericDate)');
  if (claims.iat !== undefined) {
    if (!isNumericDate(claims.iat)) fail('iat', 'claim iat must be a NumericDate');
    if (claims.exp <= claims.iat) fail('lifetime', 'exp must be after iat');
    if (claims.exp - claims.iat > MAX_CLIENT_ASSERTION_LIFETIME_S) fail('lifetime', `exp - iat must be at most ${MAX_CLIENT_ASSERTION_LIFETIME_S} s`);
    if (claims.iat > now + CLOCK_TOLERANCE_S) fail('iat', 'client_assertion is dated in the future (iat)');
  } else if (claims.exp > now + MAX_CLIENT_ASSERTION_LIFETIME_S + CLOCK_TOLERANCE_S) {
    fail('lifetime', `without iat, exp must be at most ${MAX_CLIENT_ASSERTION_LIFETIME_S} s from now`);
  }
  if (claims.nbf !== undefined && (!isNumericDate(claims.nbf) || claims.nbf > now + CLOCK_TOLERANCE_S)) fail('nbf', 'client_assertion is not valid yet (nbf)');
  if (claims.exp < now - CLOCK_TOLERANCE_S) fail('exp', 'client_assertion has expired (exp)');
  return claims.exp + CLOCK_TOLERANCE_S;
}

/**
 * Verifies a client assertion. Checks run cheapest first: size and form, header, the claims that
 * name the partner, the partner's key, the signature, the partner's and key's status, then the
 * audience, times and jti. The caller makes the jti single-use.
 */
export async function verifyClientAssertion(token: string, ctx: ClientAssertionContext): Promise<VerifiedClientAssertion> {
  if (typeof token !== 'string' || token.length === 0) fail('missing', 'client_assertion is empty');
  if (token.length > MAX_ASSERTION_BYTES) fail('size', `client_assertion is larger than ${MAX_ASSERTION_BYTES} bytes`);
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) fail('format', 'client_assertion is not a compact JWS (three base64url segments)');
  const header = checkHeader(token);

  const claims = decodePayload(parts[1]);
  if (typeof claims.iss !== 'string' || !PARTNER_ID.test(claims.iss)) fail('iss', 'claim iss is required and must be your partner id (the client_id)');
  if (claims.sub !== claims.iss) fail('sub', 'claims iss and sub must both be your partner id (RFC 7523 section 3)');

  const { partner, key } = await verifyWithPartnerKey(token, header, claims.iss, ctx);

  const aud = claims.aud;
  const auds = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!auds.some((a) => ctx.audiences.includes(a))) fail('aud', `claim aud must be the token endpoint URL "${ctx.audiences[0]}" (or the issuer "${ctx.audiences[1] ?? ctx.audiences[0]}")`);
  const acceptableUntil = checkTimes(claims, ctx.now);
  if (typeof claims.jti !== 'string' || claims.jti.length === 0 || claims.jti.length > 128) {
    fail('jti', 'claim jti is required: a unique string of at most 128 characters (each client_assertion is accepted once)');
  }
  return { partnerId: partner.id, kid: key.kid, jti: claims.jti, acceptableUntil };
}
