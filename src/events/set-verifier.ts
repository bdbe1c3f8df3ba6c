// Verification of published events (SETs), token profile sections 3 and 4. Pure: no Nest or
// TypeORM import. Keys come only from the authenticated partner; jku/x5u/jwk are never followed.
// Checks run in the profile's order; the first failure names the code.
import canonicalize from 'canonicalize';
import { compactVerify, importJWK } from 'jose';
import type { PublicJwk } from '../partners/jwk-policy';
import {
  CATEGORIES, Category, DEFAULT_SIGNAL_TTL_DAYS, Distribution, DISTRIBUTIONS, EventType, FLAG_ACTIONS, LEGAL_KINDS,
  MAX_EXPIRY_DAYS, MAX_NUMERIC_DATE, MAX_SET_BYTES, PSEUDONYMOUS_ID_HOW, REFUSED_HEADERS, SUBJECT_ID, SUBJECT_ID_RULE, RETRACTION_REASONS, SET_ALGS, SET_TYP,
} from './set-profile';
import { isControlEventType, isStandardEventType, mapStandardEvent } from './inbound/ssf-mapping';

export type VerdictCode = 'invalid_request' | 'invalid_key' | 'invalid_issuer' | 'invalid_audience' | 'access_denied';

export interface SetPartnerKey {
  kid: string;
  alg: string;
  status: 'ACTIVE' | 'REVOKED';
  jwk: PublicJwk;
}

export interface SetContext {
  audience: string;
  /** Seconds since the epoch. */
  now: number;
  /** `ssfIssuer`: the partner's https issuer URL, also accepted as `iss` (issue 14). */
  partner: { id: string; kind: string; keys: readonly SetPartnerKey[]; ssfIssuer?: string | null };
  /** Oldest acceptable iat, in seconds before now (profile: 7 days; a partner may have its own). */
  maxIatAgeSeconds?: number;
  /**
   * The caller authenticated with a static push token, which says only who may post: a SET naming
   * another issuer is `access_denied`, checked before the key lookup (its kid is not this partner's).
   */
  viaPushToken?: boolean;
  importKey?(key: SetPartnerKey): Promise<Parameters<typeof compactVerify>[1]>;
}

/** A verified event, normalised; optional fields are null when absent. */
export interface VerifiedEvent {
  jti: string;
  issuer: string;
  kid: string;
  iat: number;
  txn: string | null;
  subject: string;
  /** The profile's event type; null for an event that is not stored (see disposition). */
  type: EventType | null;
  category: Category | null;
  action: string | null;
  score: number | null;
  confidence: number | null;
  reasonCodes: string[] | null;
  observedAt: number | null;
  effectiveAt: number | null;
  expiresAt: number | null;
  distribution: Distribution | null;
  evidence: Record<string, unknown> | null;
  /** The jti this event retracts or lifts. */
  targetJti: string | null;
  retractionReason: string | null;
  legal: Record<string, unknown> | null;
  /** What makes a resend a duplicate (profile section 4): `sub_id`, `txn` and `events`; see duplicateKeyOf. */
  duplicateClaims: Record<string, unknown>;
  /** `ignore`: an SSF control event or a standard event with no mapping, answered but never stored. */
  disposition: 'store' | 'ignore';
  /** The SSF, RISC or CAEP event type this event was received as, when it was one. */
  standardType: string | null;
  /** Why an ignored event is ignored (`control`, `unmapped`). */
  ignoreReason: string | null;
  /** A lift whose target the ingest finds: the latest active freeze mapped from RISC account-disabled. */
  liftsMappedFreeze: boolean;
  /** Extra stored details of a mapped event (the RISC reason). */
  mappedDetails: Record<string, unknown> | null;
}

export type SetVerdict = { ok: true; event: VerifiedEvent } | { ok: false; code: VerdictCode; description: string };

class Refusal extends Error {
  constructor(
    readonly code: VerdictCode,
    description: string,
  ) {
    super(description);
  }
}
const refuse = (code: VerdictCode, description: string): never => {
  throw new Refusal(code, description);
};
const bad = (description: string): never => refuse('invalid_request', description);

const B64URL_SEGMENT = /^[A-Za-z0-9_-]*$/;
const REASON_CODE = /^[a-z0-9_]{1,64}$/;
const DAY = 86_400;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumericDate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_NUMERIC_DATE;
const DATE_RULE = `a NumericDate in 0..${MAX_NUMERIC_DATE}`;

/**
 * Two tokens under one (iss, jti) are the same event when their `sub_id`, `txn` and `events` are
 * equal as parsed JSON, whatever the signature or `iat` (transmitters re-sign on retry).
 */
export function duplicateKeyOf(claims: Record<string, unknown>): string {
  return canonicalize({ sub_id: claims.sub_id, txn: claims.txn ?? null, events: claims.events }) as string;
}

// A lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The first string (member names included, at any depth) that is not Unicode text without U+0000:
 * PostgreSQL stores neither NUL in text nor \u0000 in jsonb, and a lone surrogate is no text at
 * all. Iterative, so deep nesting cannot exhaust the stack.
 */
export function badTextIn(value: unknown): { path: string; problem: string } | null {
  const stack: Array<[unknown, string]> = [[value, '']];
  const problemOf = (t: string) => (t.includes('\u0000') ? 'U+0000' : LONE_SURROGATE.test(t) ? 'an unpaired surrogate' : null);
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      const problem = problemOf(v);
      if (problem) return { path: path || '(value)', problem };
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push([item, `${path}[${i}]`]));
    } else if (isObject(v)) {
      for (const [k, item] of Object.entries(v)) {
        const problem = problemOf(k);
        if (problem) return { path: `${path || '(claims)'} member name`, problem };
        stack.push([item, path ? `${path}.${k}` : k]);
      }
    }
  }
  return null;
}

function decodeJson(segment: string, what: string): unknown {
  return parseJson(Buffer.from(segment, 'base64url').toString('utf8'), what);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return bad(`${what} is not base64url-encoded JSON`);
  }
}

export async function verifySet(token: unknown, ctx: SetContext): Promise<SetVerdict> {
  try {
    return { ok: true, event: await verify(token, ctx) };
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, code: e.code, description: e.message };
    throw e;
  }
}

async function verify(token: unknown, ctx: SetContext): Promise<VerifiedEvent> {
  // 1. Size and compact form, before any parsing.
  if (typeof token !== 'string' || token.length === 0) bad('token is empty');
  const text = token as string;
  if (Buffer.byteLength(text, 'utf8') > MAX_SET_BYTES) bad(`token is larger than ${MAX_SET_BYTES} bytes`);
  const parts = text.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL_SEGMENT.test(p)) || parts[0] === '' || parts[1] === '') {
    bad('token is not a compact JWS (three base64url segments)');
  }

  // 2. Header.
  const header = decodeJson(parts[0], 'header');
  if (!isObject(header)) return bad('header must be a JSON object');
  for (const name of REFUSED_HEADERS) if (name in header) bad(`header parameter "${name}" is not allowed`);
  if (typeof header.alg !== 'string' || !(SET_ALGS as readonly string[]).includes(header.alg)) bad(`header alg must be one of ${SET_ALGS.join(', ')}`);
  if (typeof header.kid !== 'string' || header.kid.length < 1 || header.kid.length > 128) bad('header kid is required (1..128 characters)');
  if (header.typ !== SET_TYP) bad(`header typ must be "${SET_TYP}"`);

  // 3. Key lookup (this partner's keys only) and signature.
  if (ctx.viaPushToken) refuseForeignIssuer(parts[1], ctx);
  const key = ctx.partner.keys.find((k) => k.kid === header.kid);
  if (!key) refuse('invalid_key', `kid "${String(header.kid)}" is not a key of partner "${ctx.partner.id}"`);
  if (key!.alg !== header.alg) refuse('invalid_key', `alg ${String(header.alg)} does not match key "${key!.kid}" (${key!.alg})`);
  if (key!.status !== 'ACTIVE') refuse('invalid_key', `key "${key!.kid}" is revoked`);
  try {
    const cryptoKey = ctx.importKey ? await ctx.importKey(key!) : await importJWK({ ...key!.jwk }, key!.alg);
    await compactVerify(text, cryptoKey, { algorithms: [key!.alg] });
  } catch {
    refuse('invalid_key', `signature does not verify with key "${key!.kid}"`);
  }

  // 4. Claims.
  const claimsText = Buffer.from(parts[1], 'base64url').toString('utf8');
  const claims = parseJson(claimsText, 'payload');
  if (!isObject(claims)) return bad('payload must be a JSON object');
  // Text decoded from UTF-8 holds no lone surrogate, and JSON strings no raw control character:
  // only a \u escape can bring either, so claims without one need no walk.
  const badText = claimsText.includes('\\u') ? badTextIn(claims) : null;
  if (badText) bad(`claim strings must be Unicode text without U+0000 or unpaired surrogates: ${badText.path} holds ${badText.problem}`);
  // SSF control events name the stream, if anything, as their subject: sub_id is optional for them.
  const control = isObject(claims.events) && Object.keys(claims.events).length === 1 && isControlEventType(Object.keys(claims.events)[0]);
  for (const name of ['iss', 'aud', 'iat', 'jti', 'sub_id', 'events']) if (!(name in claims) && !(control && name === 'sub_id')) bad(`claim ${name} is required`);
  for (const name of ['sub', 'exp']) if (name in claims) bad(`claim ${name} is forbidden (SSF)`);
  const ssfIssuer = ctx.partner.ssfIssuer ?? null;
  const viaSsfIssuer = ssfIssuer !== null && claims.iss === ssfIssuer;
  if (claims.iss !== ctx.partner.id && !viaSsfIssuer) {
    refuse('invalid_issuer', `iss must be the authenticated partner "${ctx.partner.id}"${ssfIssuer ? ` or its SSF issuer "${ssfIssuer}"` : ''}`);
  }
  const aud = claims.aud;
  // A standard transmitter (iss = the partner's SSF issuer) may address several receivers at once.
  const audOk = aud === ctx.audience || (Array.isArray(aud) && (viaSsfIssuer ? aud.length >= 1 && aud.every((a) => typeof a === 'string') : aud.length === 1) && aud.includes(ctx.audience));
  if (!audOk) {
    refuse('invalid_audience', viaSsfIssuer ? `aud must be "${ctx.audience}" or an array of strings that contains it` : `aud must be "${ctx.audience}" (a string or a one-element array)`);
  }
  const iat = claims.iat;
  if (!isNumericDate(iat)) return bad(`iat must be ${DATE_RULE}`);
  if (iat > ctx.now + 60) bad('iat is more than 60 s in the future');
  if (iat < ctx.now - (ctx.maxIatAgeSeconds ?? 7 * DAY)) bad('iat is too old');
  const jti = claims.jti;
  if (typeof jti !== 'string' || jti.length < 1 || jti.length > 128) bad('jti must be 1..128 characters');
  const subId = claims.sub_id;
  let subject = '';
  if (!control) {
    if (!isObject(subId) || subId.format !== 'opaque') bad(`sub_id must be {"format":"opaque","id":...}; ${PSEUDONYMOUS_ID_HOW}`);
    subject = (subId as Json).id as string;
    if (typeof subject !== 'string' || !SUBJECT_ID.test(subject)) bad(`sub_id.id must be ${SUBJECT_ID_RULE}`);
  }
  const txn = claims.txn;
  if (txn !== undefined && (typeof txn !== 'string' || txn.length < 1 || txn.length > 128)) bad('txn must be 1..128 characters');

  // 5. Event payload.
  const events = claims.events;
  if (!isObject(events) || Object.keys(events).length !== 1) bad('events must hold exactly one event');
  const [type, payload] = Object.entries(events as Json)[0];
  const standard = isStandardEventType(type);
  if (!standard && !(Object.values(EventType) as string[]).includes(type)) bad(`unknown event type "${type}"`);
  if (!isObject(payload)) return bad('the event must be a JSON object');
  const event: VerifiedEvent = {
    jti: jti as string, issuer: ctx.partner.id, kid: key!.kid, iat, txn: (txn as string | undefined) ?? null, subject,
    type: standard ? null : (type as EventType), category: null, action: null, score: null, confidence: null, reasonCodes: null, observedAt: null,
    effectiveAt: null, expiresAt: null, distribution: null, evidence: null, targetJti: null, retractionReason: null, legal: null,
    duplicateClaims: { sub_id: claims.sub_id, txn: claims.txn, events: claims.events },
    disposition: 'store', standardType: standard ? type : null, ignoreReason: null, liftsMappedFreeze: false, mappedDetails: null,
  };
  if (standard) readStandardEvent(event, type, payload, iat);
  else readPayload(event, payload, iat);

  // 6. Permission.
  if (event.type === EventType.LegalRequest && ctx.partner.kind !== 'LEGAL') refuse('access_denied', 'only LEGAL partners may publish legal requests');
  return event;
}

/** A push token's partner posting a SET whose (not yet verified) iss names another issuer. */
function refuseForeignIssuer(payloadSegment: string, ctx: SetContext): void {
  let iss: unknown;
  try {
    iss = (JSON.parse(Buffer.from(payloadSegment, 'base64url').toString('utf8')) as Json)?.iss;
  } catch {
    return; // the claims step names what is wrong with the payload
  }
  if (typeof iss !== 'string' || iss === ctx.partner.id || iss === ctx.partner.ssfIssuer) return;
  refuse('access_denied', `this push token is partner "${ctx.partner.id}"'s: a SET whose iss is "${iss.slice(0, 200)}" cannot be posted with it`);
}

/** An SSF, RISC or CAEP event: mapped to the profile's event, or marked to be answered and not stored. */
function readStandardEvent(e: VerifiedEvent, type: string, payload: Json, iat: number): void {
  const mapped = mapStandardEvent(type, payload, iat);
  switch (mapped.kind) {
    case 'control':
    case 'unmapped':
      e.disposition = 'ignore';
      e.ignoreReason = mapped.kind;
      return;
    case 'signal':
      Object.assign(e, {
        type: EventType.RiskSignal, category: mapped.category, score: mapped.score, confidence: mapped.confidence, reasonCodes: mapped.reasonCodes,
        observedAt: mapped.observedAt, distribution: mapped.distribution, evidence: mapped.evidence,
        expiresAt: iat + DEFAULT_SIGNAL_TTL_DAYS[mapped.category] * DAY,
      });
      e.mappedDetails = { mapped_from: type };
      return;
    case 'flag':
      Object.assign(e, { type: EventType.AccountFlag, action: mapped.action, reasonCodes: mapped.reasonCodes, effectiveAt: mapped.effectiveAt, distribution: mapped.distribution });
      e.mappedDetails = mapped.reason === null ? { mapped_from: type } : { mapped_from: type, reason: mapped.reason };
      return;
    case 'lift-mapped-freeze':
      Object.assign(e, { type: EventType.FlagLifted, reasonCodes: mapped.reasonCodes, liftsMappedFreeze: true });
      e.mappedDetails = { mapped_from: type };
      return;
  }
}

function reasonCodes(p: Json): string[] | null {
  if (p.reason_codes === undefined) return null;
  const codes = p.reason_codes;
  if (!Array.isArray(codes) || codes.length > 16 || !codes.every((c) => typeof c === 'string' && REASON_CODE.test(c))) {
    bad('reason_codes must be at most 16 strings matching ^[a-z0-9_]{1,64}$');
  }
  return codes as string[];
}

function unitInterval(p: Json, name: string, required: boolean): number | null {
  const v = p[name];
  if (v === undefined && !required) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) bad(`${name} must be a number in [0, 1]`);
  return v as number;
}

function optionalDate(p: Json, name: string): number | null {
  if (p[name] === undefined) return null;
  if (!isNumericDate(p[name])) bad(`${name} must be ${DATE_RULE}`);
  return p[name] as number;
}

function oneOf<T extends string>(p: Json, name: string, allowed: readonly T[], fallback: T | null): T | null {
  const v = p[name];
  if (v === undefined) {
    if (fallback === null) bad(`${name} is required`);
    return fallback;
  }
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) bad(`${name} must be one of ${allowed.join(', ')}`);
  return v as T;
}

function boundedText(p: Json, name: string, max: number, required: boolean): string | null {
  const v = p[name];
  if (v === undefined && !required) return null;
  if (typeof v !== 'string' || v.length < 1 || v.length > max) bad(`${name} must be 1..${max} characters`);
  return v as string;
}

function jtiRef(p: Json, name: string): string {
  const v = p[name];
  if (typeof v !== 'string' || v.length < 1 || v.length > 128) bad(`${name} is required (1..128 characters)`);
  return v as string;
}

function readPayload(e: VerifiedEvent, p: Json, iat: number): void {
  switch (e.type) {
    case EventType.RiskSignal: {
      e.category = oneOf(p, 'category', CATEGORIES, null);
      e.score = unitInterval(p, 'score', true);
      e.confidence = unitInterval(p, 'confidence', false) ?? 1;
      e.reasonCodes = reasonCodes(p);
      e.observedAt = optionalDate(p, 'observed_at');
      if (e.observedAt !== null && e.observedAt > iat) bad('observed_at must not be after iat');
      e.expiresAt = optionalDate(p, 'expires_at');
      if (e.expiresAt !== null && (e.expiresAt <= iat || e.expiresAt > iat + MAX_EXPIRY_DAYS * DAY)) bad(`expires_at must be after iat and at most ${MAX_EXPIRY_DAYS} days after it`);
      e.expiresAt ??= iat + DEFAULT_SIGNAL_TTL_DAYS[e.category as Category] * DAY;
      e.distribution = oneOf(p, 'distribution', DISTRIBUTIONS, 'granted');
      if (p.evidence !== undefined) {
        if (!isObject(p.evidence)) bad('evidence must be a JSON object');
        if (Buffer.byteLength(JSON.stringify(p.evidence), 'utf8') > 4096) bad('evidence is larger than 4 KiB serialized');
        e.evidence = p.evidence as Json;
      }
      return;
    }
    case EventType.AccountFlag: {
      e.action = oneOf(p, 'action', FLAG_ACTIONS, null);
      e.reasonCodes = reasonCodes(p);
      e.effectiveAt = optionalDate(p, 'effective_at') ?? iat;
      e.expiresAt = optionalDate(p, 'expires_at');
      if (e.expiresAt !== null && e.expiresAt <= e.effectiveAt) bad('expires_at must be after effective_at');
      e.distribution = oneOf(p, 'distribution', DISTRIBUTIONS, 'consortium');
      return;
    }
    case EventType.FlagLifted:
      e.targetJti = jtiRef(p, 'flag_jti');
      e.reasonCodes = reasonCodes(p);
      return;
    case EventType.Retraction:
      e.targetJti = jtiRef(p, 'retracts_jti');
      e.retractionReason = oneOf(p, 'reason', RETRACTION_REASONS, null);
      return;
    case EventType.LegalRequest: {
      const kind = oneOf(p, 'kind', LEGAL_KINDS, null);
      const legal: Json = {
        kind,
        legal_basis: boundedText(p, 'legal_basis', 512, true),
        case_reference: boundedText(p, 'case_reference', 128, true),
        authority: boundedText(p, 'authority', 256, true),
      };
      const deadline = optionalDate(p, 'deadline');
      if (deadline !== null && deadline <= iat) bad('deadline must be after iat');
      if (deadline !== null) legal.deadline = deadline;
      const justification = p.justification === undefined ? null : boundedText(p, 'justification', 4096, true);
      if (justification !== null) legal.justification = justification;
      e.legal = legal;
      return;
    }
  }
}
