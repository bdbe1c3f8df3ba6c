// The disclosure package: what it holds, and how it is checked offline. Pure (jose only, no Nest or
// TypeORM): the gateway builds the payload with `packagePayload`, and the CLI
// (`risk-exchange legal verify-package`) checks it with `verifyDisclosurePackage`, so both read the
// same format. README "Disclosure packages".
import { GATEWAY_ISSUER_ID } from '../../events/gateway-issuer';
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { REFUSED_HEADERS, SET_TYP } from '../../events/set-profile';

export const PACKAGE_TYP = 'rx-disclosure-package+jwt';

/**
 * At most this many partner tokens in one package: a token is at most 16 KiB, so a package stays
 * below about 8 MiB. A subject with more events is refused with a message naming the limit; its
 * events are read page by page with `disclosedEvents` instead.
 */
export const MAX_PACKAGE_EVENTS = 500;

/** Issuer of the gateway's own events (freeze flags and their lifts), signed with the gateway key. */
/** The stored issuer of the gateway's own events (the legal freeze flag and its lift). */
export const GATEWAY_EVENT_ISSUER = GATEWAY_ISSUER_ID;

export interface PackageRequest {
  id: string;
  kind: string;
  requester: string;
  subject: string;
  case_reference: string;
  authority: string;
  legal_basis: string;
  /** NumericDate seconds, or null. */
  deadline: number | null;
  approved_at: number | null;
  access_until: number | null;
  /** The requester's signed legal-request token, byte for byte. */
  token: string;
}

export interface PackageApproval {
  reviewer: string;
  at: number;
  comment: string | null;
}

export interface PackageEvent {
  issuer: string;
  event_id: string;
  token: string;
}

/** A public key of a partner that signed a token of the package, with when it was valid. */
export interface PackageKey {
  partner: string;
  kid: string;
  jwk: JWK;
  created_at: number;
  revoked_at: number | null;
}

export interface DisclosurePackagePayload {
  iss: string;
  iat: number;
  jti: string;
  request: PackageRequest;
  approvals: PackageApproval[];
  events: PackageEvent[];
  keys: PackageKey[];
  gateway_jwks: { keys: JWK[] };
}

const seconds = (d: Date | null | undefined): number | null => (d ? Math.floor(d.getTime() / 1000) : null);

/** The payload of a package (the gateway signs it with `typ` PACKAGE_TYP). */
export function packagePayload(p: {
  issuer: string;
  at: Date;
  jti: string;
  request: { id: string; kind: string; requester: string; subject: string; caseReference: string; authority: string; legalBasis: string; deadline: Date | null; decidedAt: Date | null; accessUntil: Date | null; token: string };
  approvals: Array<{ reviewer: string; at: Date; comment: string | null }>;
  events: PackageEvent[];
  keys: Array<{ partner: string; kid: string; jwk: JWK; createdAt: Date; revokedAt: Date | null }>;
  gatewayJwks: { keys: JWK[] };
}): DisclosurePackagePayload {
  const r = p.request;
  return {
    iss: p.issuer,
    iat: seconds(p.at)!,
    jti: p.jti,
    request: {
      id: r.id, kind: r.kind.toLowerCase(), requester: r.requester, subject: r.subject, case_reference: r.caseReference, authority: r.authority, legal_basis: r.legalBasis,
      deadline: seconds(r.deadline), approved_at: seconds(r.decidedAt), access_until: seconds(r.accessUntil), token: r.token,
    },
    approvals: p.approvals.map((a) => ({ reviewer: a.reviewer, at: seconds(a.at)!, comment: a.comment })),
    events: p.events,
    keys: p.keys.map((k) => ({ partner: k.partner, kid: k.kid, jwk: k.jwk, created_at: seconds(k.createdAt)!, revoked_at: seconds(k.revokedAt) })),
    gateway_jwks: p.gatewayJwks,
  };
}

/** The (partner, kid) of every token of a package: the keys the gateway must include. */
export function signingKeysOf(tokens: Array<{ issuer: string; token: string }>): Array<{ partner: string; kid: string }> {
  const seen = new Map<string, { partner: string; kid: string }>();
  for (const t of tokens) {
    if (t.issuer === GATEWAY_EVENT_ISSUER) continue; // verified with gateway_jwks
    const kid = kidOf(t.token);
    if (kid) seen.set(`${t.issuer}\u0000${kid}`, { partner: t.issuer, kid });
  }
  return [...seen.values()];
}

function kidOf(token: string): string | null {
  try {
    const kid = decodeProtectedHeader(token).kid;
    return typeof kid === 'string' ? kid : null;
  } catch {
    return null;
  }
}

export interface TokenCheck {
  /** `request` (the legal-request token) or `event`. */
  role: 'request' | 'event';
  issuer: string;
  jti: string | null;
  eventId: string;
  ok: boolean;
  /** What failed, or what verified it. */
  detail: string;
}

export interface GatewayCheck {
  ok: boolean;
  detail: string;
  kid: string | null;
  /** RFC 7638 thumbprint of the gateway key that verified the package (compare with the published JWKS). */
  thumbprint: string | null;
  /** `given`: the --gateway-jwks file; `package`: the package's own gateway_jwks (proves integrity, not origin). */
  keysFrom: 'given' | 'package';
}

export interface PackageReport {
  ok: boolean;
  gateway: GatewayCheck;
  /** The payload as read (even when the gateway signature failed, so the report can name what is inside). */
  payload: DisclosurePackagePayload | null;
  tokens: TokenCheck[];
  problems: string[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a package offline: the gateway signature (with `gatewayJwks` when given, else the
 * package's own `gateway_jwks`), then the request token and every partner token against the
 * partner keys in the package. Never throws for a bad package: every failure is in the report.
 */
export async function verifyDisclosurePackage(jws: string, o: { gatewayJwks?: JWK[] } = {}): Promise<PackageReport> {
  const report: PackageReport = { ok: false, gateway: { ok: false, detail: '', kid: null, thumbprint: null, keysFrom: o.gatewayJwks ? 'given' : 'package' }, payload: null, tokens: [], problems: [] };
  const parts = jws.split('.');
  if (parts.length !== 3) {
    report.gateway.detail = `not a compact JWS (${parts.length} segment(s))`;
    report.problems.push(report.gateway.detail);
    return report;
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    payload = null;
  }
  const shapeProblem = packageShapeProblem(payload);
  if (shapeProblem) {
    report.gateway.detail = `the payload is not a disclosure package: ${shapeProblem}`;
    report.problems.push(report.gateway.detail);
    return report;
  }
  const p = payload as DisclosurePackagePayload;
  report.payload = p;
  const gatewayKeys = o.gatewayJwks ?? p.gateway_jwks.keys;
  report.gateway = { ...(await checkGatewaySignature(jws, gatewayKeys)), keysFrom: report.gateway.keysFrom };
  if (!report.gateway.ok) report.problems.push(`gateway signature: ${report.gateway.detail}`);
  const ctx = { subject: p.request.subject, keys: p.keys, gatewayKeys, gatewayIssuer: p.iss };
  report.tokens.push(await checkPartnerToken({ role: 'request', issuer: p.request.requester, eventId: p.request.id, token: p.request.token }, { ...ctx, request: p.request }));
  for (const e of p.events) report.tokens.push(await checkPartnerToken({ role: 'event', issuer: e.issuer, eventId: e.event_id, token: e.token }, ctx));
  for (const t of report.tokens) if (!t.ok) report.problems.push(`${describeToken(t)}: ${t.detail}`);
  report.ok = report.problems.length === 0;
  return report;
}

/** "event token of bank-a, jti 5f3…, event 9a1…" (how a report names a token). */
export function describeToken(t: Pick<TokenCheck, 'role' | 'issuer' | 'jti' | 'eventId'>): string {
  return `${t.role === 'request' ? 'request token' : 'event token'} of ${t.issuer}, jti ${t.jti ?? '?'}, event ${t.eventId}`;
}

function packageShapeProblem(v: unknown): string | null {
  if (!isObject(v)) return 'not a JSON object';
  if (typeof v.iss !== 'string' || typeof v.jti !== 'string' || typeof v.iat !== 'number') return 'iss, iat and jti are required';
  const r = v.request;
  if (!isObject(r) || typeof r.id !== 'string' || typeof r.requester !== 'string' || typeof r.subject !== 'string' || typeof r.token !== 'string') return 'request {id, requester, subject, token} is required';
  if (!Array.isArray(v.approvals)) return 'approvals must be a list';
  if (!Array.isArray(v.events) || !v.events.every((e) => isObject(e) && typeof e.issuer === 'string' && typeof e.event_id === 'string' && typeof e.token === 'string')) return 'events must be a list of {issuer, event_id, token}';
  if (!Array.isArray(v.keys) || !v.keys.every((k) => isObject(k) && typeof k.partner === 'string' && typeof k.kid === 'string' && isObject(k.jwk) && typeof k.created_at === 'number')) return 'keys must be a list of {partner, kid, jwk, created_at, revoked_at}';
  if (!isObject(v.gateway_jwks) || !Array.isArray(v.gateway_jwks.keys)) return 'gateway_jwks must be a JWKS';
  return null;
}

async function checkGatewaySignature(jws: string, keys: JWK[]): Promise<Omit<GatewayCheck, 'keysFrom'>> {
  let header: Json;
  try {
    header = decodeProtectedHeader(jws) as Json;
  } catch {
    return { ok: false, detail: 'the header is not base64url JSON', kid: null, thumbprint: null };
  }
  const kid = typeof header.kid === 'string' ? header.kid : null;
  if (header.typ !== PACKAGE_TYP) return { ok: false, detail: `typ is "${String(header.typ)}", expected "${PACKAGE_TYP}"`, kid, thumbprint: null };
  if (header.alg !== 'EdDSA') return { ok: false, detail: `alg is "${String(header.alg)}"; the gateway signs packages with EdDSA`, kid, thumbprint: null };
  const jwk = keys.find((k) => k.kid === kid && k.kty === 'OKP');
  if (!jwk) return { ok: false, detail: `no Ed25519 gateway key with kid "${String(kid)}" among ${keys.length} key(s)`, kid, thumbprint: null };
  const thumbprint = await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x } as JWK);
  try {
    await compactVerify(jws, await importJWK(jwk, 'EdDSA'), { algorithms: ['EdDSA'] });
  } catch {
    return { ok: false, detail: `the signature does not verify with gateway key "${kid}"`, kid, thumbprint };
  }
  return { ok: true, detail: `verifies with gateway key "${kid}"`, kid, thumbprint };
}

interface TokenContext {
  subject: string;
  keys: PackageKey[];
  gatewayKeys: JWK[];
  gatewayIssuer: string;
  /** What the package says the court asked: its signed request token must say the same. */
  request?: { case_reference: string; authority: string; legal_basis: string };
}

const LEGAL_REQUEST_URI = 'urn:risk-exchange:event:legal-request';

/** Why the court's signed legal-request token does not say what the package reports, or null. */
function requestClaimsProblem(claims: Json, request: NonNullable<TokenContext['request']>): string | null {
  const events = isObject(claims.events) ? claims.events : {};
  const asked = events[LEGAL_REQUEST_URI];
  if (!isObject(asked)) return `it is not a ${LEGAL_REQUEST_URI} token`;
  if (asked.kind !== 'disclosure') return `it asks for "${String(asked.kind)}", not a disclosure`;
  for (const field of ['case_reference', 'authority', 'legal_basis'] as const) {
    if (asked[field] !== request[field]) return `its ${field} is "${String(asked[field])}", but the package reports "${request[field]}"`;
  }
  return null;
}

/**
 * One partner token: typ secevent+jwt, no key-bearing header, the key named by its kid among the
 * package's keys of that partner only (alg from the key), the signature, `iss` = that partner,
 * the package's subject, and a key not revoked before the token's `iat`. The gateway's own events
 * are checked with the gateway keys and must carry the gateway's issuer.
 */
export async function checkPartnerToken(t: { role: 'request' | 'event'; issuer: string; eventId: string; token: string }, ctx: TokenContext): Promise<TokenCheck> {
  const out: TokenCheck = { role: t.role, issuer: t.issuer, jti: null, eventId: t.eventId, ok: false, detail: '' };
  const fail = (detail: string) => ({ ...out, ok: false, detail });
  const parts = t.token.split('.');
  let header: Json;
  let claims: Json;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as Json;
    claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as Json;
  } catch {
    return fail('not a compact JWS with a JSON header and claims');
  }
  if (parts.length !== 3 || !isObject(header) || !isObject(claims)) return fail('not a compact JWS with a JSON header and claims');
  out.jti = typeof claims.jti === 'string' ? claims.jti : null;
  if (header.typ !== SET_TYP) return fail(`typ is "${String(header.typ)}", expected "${SET_TYP}"`);
  const refused = REFUSED_HEADERS.filter((h) => h in header);
  if (refused.length) return fail(`refused header(s): ${refused.join(', ')}`);
  const kid = typeof header.kid === 'string' ? header.kid : null;
  const own = t.issuer === GATEWAY_EVENT_ISSUER;
  const key = own
    ? (() => {
        const jwk = ctx.gatewayKeys.find((k) => k.kid === kid);
        return jwk ? { jwk, revoked_at: null as number | null, alg: typeof jwk.alg === 'string' ? jwk.alg : 'EdDSA' } : null;
      })()
    : (() => {
        const k = ctx.keys.find((x) => x.partner === t.issuer && x.kid === kid);
        return k ? { jwk: k.jwk, revoked_at: k.revoked_at, alg: typeof k.jwk.alg === 'string' ? k.jwk.alg : null } : null;
      })();
  if (!key) return fail(`no key "${String(kid)}" of ${t.issuer} in the package`);
  if (!key.alg) return fail(`the key "${kid}" of ${t.issuer} names no alg`);
  if (header.alg !== key.alg) return fail(`alg is "${String(header.alg)}" but the key "${kid}" is ${key.alg}`);
  try {
    await compactVerify(t.token, await importJWK(key.jwk, key.alg), { algorithms: [key.alg] });
  } catch {
    return fail(`the signature does not verify with key "${kid}" of ${t.issuer}`);
  }
  const expectedIss = own ? ctx.gatewayIssuer : t.issuer;
  if (claims.iss !== expectedIss) return fail(`iss is "${String(claims.iss)}", expected "${expectedIss}"`);
  const sub = isObject(claims.sub_id) ? claims.sub_id.id : undefined;
  if (sub !== ctx.subject) return fail(`sub_id is "${String(sub)}", not the disclosed subject`);
  if (typeof claims.iat !== 'number') return fail('iat is missing');
  if (t.role === 'request' && ctx.request) {
    const mismatch = requestClaimsProblem(claims, ctx.request);
    if (mismatch) return fail(`the court's signed request does not match the package: ${mismatch}`);
  }
  if (key.revoked_at !== null && key.revoked_at <= claims.iat) {
    return fail(`the key "${kid}" of ${t.issuer} was revoked at ${new Date(key.revoked_at * 1000).toISOString()}, before the token's iat ${new Date(claims.iat * 1000).toISOString()}`);
  }
  return { ...out, ok: true, detail: `signature by ${own ? 'the gateway' : t.issuer} key "${kid}" (${key.alg})${key.revoked_at !== null ? `, revoked later at ${new Date(key.revoked_at * 1000).toISOString()}` : ''}` };
}
