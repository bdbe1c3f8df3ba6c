// RFC 9068 access tokens of the gateway: the claims it signs and the checks a request's token
// passes. Pure: no Nest or TypeORM import; the clock, the gateway key and the partner lookup are injected.
import { compactVerify, decodeProtectedHeader, type JWTPayload } from 'jose';
import { AssertionError, AssertionPartner } from '../assertion-verifier';
import { SsfScope } from '../ssf-scopes.decorator';

/** RFC 9068 section 2.1 (`application/at+jwt` is accepted too, section 4). */
export const ACCESS_TOKEN_TYP = 'at+jwt';
export const ACCESS_TOKEN_ALG = 'EdDSA';
const MAX_ACCESS_TOKEN_BYTES = 4 * 1024;
/** Replicas' clocks may differ a little; our own tokens get no more slack than that. */
const CLOCK_TOLERANCE_S = 5;

/** The claims of an access token. `partner_kid`: the key that authenticated the client, so revoking it ends the token. */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  client_id: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  scope: string;
  partner_kid: string;
}

export function accessTokenClaims(o: { issuer: string; audience: string; partnerId: string; kid: string; scopes: readonly SsfScope[]; now: number; ttlSeconds: number; jti: string }): AccessTokenClaims {
  // client_credentials: the client is its own resource owner, so sub = client_id (RFC 9068 section 2.2).
  return { iss: o.issuer, sub: o.partnerId, client_id: o.partnerId, aud: o.audience, iat: o.now, exp: o.now + o.ttlSeconds, jti: o.jti, scope: o.scopes.join(' '), partner_kid: o.kid };
}

/** Whether a bearer token says it is an access token (its header `typ`), without verifying anything. */
export function looksLikeAccessToken(token: string): boolean {
  try {
    const typ = decodeProtectedHeader(token).typ;
    return typeof typ === 'string' && isAccessTokenTyp(typ);
  } catch {
    return false;
  }
}

const isAccessTokenTyp = (typ: string) => ['at+jwt', 'application/at+jwt'].includes(typ.toLowerCase());

export interface AccessTokenContext {
  issuer: string;
  audience: string;
  /** Seconds since the epoch. */
  now: number;
  /** The gateway's verification key for a header (its JWKS). */
  key: Parameters<typeof compactVerify>[1];
  loadPartner(id: string): Promise<AssertionPartner | null>;
}

export interface VerifiedAccessToken {
  partnerId: string;
  kid: string;
  scopes: string[];
  exp: number;
}

/** Rules checked before the signature: they all read the same ("not an access token of this gateway"). */
export const HIDDEN_TOKEN_RULES = new Set(['size', 'format', 'header', 'typ', 'alg', 'signature']);

function fail(rule: string, message: string): never {
  throw new AssertionError(rule, message);
}

const isNumericDate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** RFC 9068 section 4: typ, signature with the gateway key, iss, aud, exp; then the partner and its key as of now. */
export async function verifyAccessToken(token: string, ctx: AccessTokenContext): Promise<VerifiedAccessToken> {
  if (token.length > MAX_ACCESS_TOKEN_BYTES) fail('size', `access token is larger than ${MAX_ACCESS_TOKEN_BYTES} bytes`);
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) fail('format', 'access token is not a compact JWS');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    fail('header', 'access token header is not base64url-encoded JSON');
  }
  if (typeof header.typ !== 'string' || !isAccessTokenTyp(header.typ)) fail('typ', 'header typ must be at+jwt');
  if (header.alg !== ACCESS_TOKEN_ALG) fail('alg', `header alg must be ${ACCESS_TOKEN_ALG}`);
  let claims: JWTPayload;
  try {
    const { payload } = await compactVerify(token, ctx.key as never, { algorithms: [ACCESS_TOKEN_ALG] });
    claims = JSON.parse(new TextDecoder().decode(payload)) as JWTPayload;
  } catch {
    fail('signature', 'signature does not verify with a gateway key');
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) fail('payload', 'access token payload must be a JSON object');
  if (claims.iss !== ctx.issuer) fail('iss', `claim iss must be "${ctx.issuer}"`);
  const aud = claims.aud;
  if (!(aud === ctx.audience || (Array.isArray(aud) && aud.includes(ctx.audience)))) fail('aud', `claim aud must be "${ctx.audience}"`);
  if (!isNumericDate(claims.exp)) fail('exp', 'claim exp is required');
  if (claims.exp <= ctx.now - CLOCK_TOLERANCE_S) fail('exp', 'the access token has expired: get a new one from the token endpoint');
  if (!isNumericDate(claims.iat) || claims.iat > ctx.now + CLOCK_TOLERANCE_S) fail('iat', 'claim iat is required and may not be in the future');
  const c = claims as Partial<AccessTokenClaims>;
  if (typeof c.sub !== 'string' || c.client_id !== c.sub) fail('sub', 'claims sub and client_id must both be the partner id');
  if (typeof c.scope !== 'string') fail('scope', 'claim scope is required');
  if (typeof c.partner_kid !== 'string') fail('partner_kid', 'claim partner_kid is required');
  // The token is as good as the partner and the key that obtained it, as of now.
  const partner = await ctx.loadPartner(c.sub);
  if (!partner || partner.status !== 'ACTIVE') fail('partner-status', `partner "${c.sub}" is suspended`);
  const key = partner.keys.find((k) => k.kid === c.partner_kid);
  if (!key || key.status !== 'ACTIVE') fail('key-revoked', `key "${c.partner_kid}" that obtained this access token is revoked`);
  return { partnerId: partner.id, kid: key.kid, scopes: c.scope.split(' ').filter((s) => s !== ''), exp: claims.exp };
}
