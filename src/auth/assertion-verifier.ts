// Partner authentication, token profile section 2. Pure: no Nest or TypeORM import; the clock
// and the key lookup are injected, so the conformance vectors can run against it directly.
import { compactVerify, decodeProtectedHeader, importJWK, type JWTPayload } from 'jose';
import type { PublicJwk } from '../partners/jwk-policy';

export const ASSERTION_TYP = 'partner-auth+jwt';
export const ALLOWED_ALGS = ['EdDSA', 'ES256', 'PS256', 'RS256'] as const;
const MAX_ASSERTION_BYTES = 8 * 1024;
const MAX_LIFETIME_S = 300;
const CLOCK_TOLERANCE_S = 60;
export const PARTNER_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
/** Header parameters that would let a token choose its own key, or change how it is read. */
export const REFUSED_HEADER_PARAMS = ['jku', 'x5u', 'jwk', 'x5c', 'crit', 'b64'] as const;

/** What the verifier needs to know about the partner named in `iss`. */
export interface AssertionPartner {
  id: string;
  status: 'ACTIVE' | 'SUSPENDED';
  keys: ReadonlyArray<{ kid: string; alg: string; status: 'ACTIVE' | 'REVOKED'; jwk: PublicJwk }>;
}

export interface AssertionContext {
  audience: string;
  /** Seconds since the epoch. */
  now: number;
  loadPartner(id: string): Promise<AssertionPartner | null>;
  /** Optional memo for imported keys (importing costs more than verifying an Ed25519 signature). */
  importKey?(key: AssertionPartner['keys'][number]): Promise<Parameters<typeof compactVerify>[1]>;
}

export interface VerifiedAssertion {
  partnerId: string;
  kid: string;
  jti?: string;
  exp: number;
}

/** The rule that failed, in words a partner's engineer can act on. Never contains key material. */
export class AssertionError extends Error {
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
    this.name = 'AssertionError';
  }
}

function fail(rule: string, message: string): never {
  throw new AssertionError(rule, message);
}

function decodePayload(segment: string): JWTPayload {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    fail('payload', 'assertion payload is not base64url-encoded JSON');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    fail('payload', 'assertion payload must be a JSON object');
  }
  return payload as JWTPayload;
}

const isNumericDate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The key the header names, within the claimed partner only, and the signature it makes. Until the
 * signature verifies nothing is said about the partner or its keys: an unknown partner, an unknown
 * kid and a wrong algorithm all read the same. Status and revocation come after. Shared by partner
 * assertions and OAuth client assertions (auth/oauth/client-assertion.ts).
 */
export async function verifyWithPartnerKey(
  token: string,
  header: { kid: string; alg: string },
  partnerId: string,
  ctx: Pick<AssertionContext, 'loadPartner' | 'importKey'>,
): Promise<{ partner: AssertionPartner; key: AssertionPartner['keys'][number] }> {
  const partner = await ctx.loadPartner(partnerId);
  const key = partner?.keys.find((k) => k.kid === header.kid);
  if (!partner || !key || key.alg !== header.alg) fail('kid', 'unknown partner, kid or algorithm for this kid');
  try {
    const cryptoKey = ctx.importKey ? await ctx.importKey(key) : await importJWK({ ...key.jwk }, key.alg);
    await compactVerify(token, cryptoKey, { algorithms: [key.alg] });
  } catch {
    fail('signature', `signature does not verify with key "${key.kid}"`);
  }
  if (partner.status !== 'ACTIVE') fail('partner-status', `partner "${partner.id}" is suspended`);
  if (key.status !== 'ACTIVE') fail('key-revoked', `key "${key.kid}" is revoked`);
  return { partner, key };
}

/**
 * Verifies a partner assertion. Checks run cheapest first: size and form, header, claims that
 * name the partner, the partner's status and key, the signature, then the time claims.
 */
export async function verifyPartnerAssertion(token: string, ctx: AssertionContext): Promise<VerifiedAssertion> {
  if (typeof token !== 'string' || token.length === 0) fail('bearer', 'missing bearer assertion');
  if (token.length > MAX_ASSERTION_BYTES) fail('size', `assertion is larger than ${MAX_ASSERTION_BYTES} bytes`);
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) {
    fail('format', 'assertion is not a compact JWS (three base64url segments)');
  }

  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    fail('header', 'assertion header is not base64url-encoded JSON');
  }
  if (header.typ !== ASSERTION_TYP) {
    fail('typ', `header typ must be "${ASSERTION_TYP}" (got ${header.typ === undefined ? 'none' : `"${String(header.typ)}"`}); a SET is never an assertion`);
  }
  if (typeof header.alg !== 'string' || !(ALLOWED_ALGS as readonly string[]).includes(header.alg)) {
    fail('alg', `header alg must be one of ${ALLOWED_ALGS.join(', ')}`);
  }
  if (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > 128) {
    fail('kid', 'header kid is required (1..128 characters)');
  }
  for (const refused of REFUSED_HEADER_PARAMS) {
    if (refused in header) fail('header', `header parameter "${refused}" is not allowed`);
  }

  const claims = decodePayload(parts[1]);
  if (typeof claims.iss !== 'string' || claims.iss.length === 0) fail('iss', 'claim iss is required and must be the partner id');
  if (claims.sub !== claims.iss) fail('sub', 'claims iss and sub must both equal the partner id');
  if (!PARTNER_ID.test(claims.iss)) fail('iss', 'claim iss is not a partner id');

  // kid and alg were checked to be strings above.
  const { partner, key } = await verifyWithPartnerKey(token, { kid: header.kid as string, alg: header.alg as string }, claims.iss, ctx);

  const aud = claims.aud;
  const audOk = aud === ctx.audience || (Array.isArray(aud) && aud.length === 1 && aud[0] === ctx.audience);
  if (!audOk) fail('aud', `claim aud must be "${ctx.audience}"`);
  if (!isNumericDate(claims.iat)) fail('iat', 'claim iat is required (NumericDate)');
  if (!isNumericDate(claims.exp)) fail('exp', 'claim exp is required (NumericDate)');
  if (claims.exp - claims.iat > MAX_LIFETIME_S) fail('lifetime', `exp - iat must be at most ${MAX_LIFETIME_S} s`);
  if (claims.exp <= claims.iat) fail('lifetime', 'exp must be after iat');
  if (claims.iat > ctx.now + CLOCK_TOLERANCE_S) fail('iat', 'assertion is dated in the future (iat)');
  if (claims.exp < ctx.now - CLOCK_TOLERANCE_S) fail('exp', 'assertion has expired (exp)');
  if (claims.jti !== undefined && (typeof claims.jti !== 'string' || claims.jti.length > 128)) {
    fail('jti', 'claim jti must be a string of at most 128 characters');
  }
  return { partnerId: partner.id, kid: key.kid, jti: claims.jti, exp: claims.exp };
}
