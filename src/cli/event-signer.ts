// Builds SET claims from an unsigned event, signs them, and checks the result with the gateway's
// own verifier (src/events/set-verifier.ts) before it leaves the machine: a token the gateway
// would refuse is refused here, with the same code and words.
import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';
import type { PublicJwk } from '../partners/jwk-policy';
import { SET_TYP, EventType } from '../events/set-profile';
import { SetPartnerKey, verifySet } from '../events/set-verifier';
import { algOf } from './assertion';

export const SHORT_TYPES = ['risk-signal', 'account-flag', 'flag-lifted', 'retraction', 'legal-request'] as const;
const DATE_FIELDS = ['observed_at', 'expires_at', 'effective_at', 'deadline'];
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** An event that cannot be signed: the message names the field and the rule. */
export class EventRefusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A NumericDate from a number, digits, or an RFC 3339 date-time. */
export function toNumericDate(v: unknown, name: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v))) return Math.floor(Date.parse(v) / 1000);
  throw new EventRefusal('invalid_request', `${name} must be seconds since 1970 or an RFC 3339 date-time such as 2026-01-31T09:00:00Z`);
}

export function typeUri(t: string): string {
  if ((Object.values(EventType) as string[]).includes(t)) return t;
  if ((SHORT_TYPES as readonly string[]).includes(t)) return `urn:risk-exchange:event:${t}`;
  throw new EventRefusal('invalid_request', `type "${t}" is not one of ${SHORT_TYPES.join(', ')}`);
}

/**
 * The jti of an event that names none: derived from what makes it the same event (sub_id, txn,
 * events), so publishing one input twice stores it once (the gateway answers DUPLICATE).
 */
export function derivedJti(claims: Json): string {
  const same = canonicalize({ sub_id: claims.sub_id, txn: claims.txn ?? null, events: claims.events }) as string;
  return 'cx-' + createHash('sha256').update(same).digest('base64url').slice(0, 40);
}

/**
 * SET claims from an unsigned event: either claims already (with `events`), or the short form
 * `{"type":"risk-signal","subject":"v1:...","category":"cash_out","score":0.8,...}`; `jti`, `txn`
 * and `iat` may be given in both. Missing: iss, aud, iat (now) and jti (derived).
 */
export function claimsOf(input: unknown, issuer: string, audience: string, now: number): Json {
  if (!isObject(input)) throw new EventRefusal('invalid_request', 'an event must be a JSON object');
  let claims: Json;
  if ('events' in input) {
    claims = { ...input };
  } else {
    const { type, subject, jti, txn, iat, ...fields } = input;
    if (typeof type !== 'string') throw new EventRefusal('invalid_request', `"type" is required: one of ${SHORT_TYPES.join(', ')}`);
    if (typeof subject !== 'string') throw new EventRefusal('invalid_request', '"subject" is required: the v1:... id from `risk-exchange hash-subject`');
    for (const f of DATE_FIELDS) if (fields[f] !== undefined) fields[f] = toNumericDate(fields[f], f);
    if (typeof fields.reason_codes === 'string') fields.reason_codes = fields.reason_codes.split(',').map((c) => c.trim()).filter(Boolean);
    if (typeof fields.evidence === 'string') fields.evidence = parseJsonField(fields.evidence, 'evidence');
    claims = { sub_id: { format: 'opaque', id: subject }, events: { [typeUri(type)]: fields } };
    if (jti !== undefined) claims.jti = jti;
    if (txn !== undefined) claims.txn = txn;
    if (iat !== undefined) claims.iat = iat;
  }
  claims.iss ??= issuer;
  claims.aud ??= audience;
  claims.iat = claims.iat === undefined ? now : toNumericDate(claims.iat, 'iat');
  claims.jti ??= derivedJti(claims);
  return claims;
}

function parseJsonField(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new EventRefusal('invalid_request', `${name} must be JSON text`);
  }
}

export function publicJwkOf(privateJwk: JWK): PublicJwk {
  const pub: Json = { ...privateJwk };
  for (const m of PRIVATE_MEMBERS) delete pub[m];
  return { ...(pub as unknown as PublicJwk), alg: algOf(privateJwk) as PublicJwk['alg'] };
}

export interface SignedEvent {
  token: string;
  jti: string;
  claims: Json;
}

/** Signs events with one private key and checks each against the profile first. */
export class EventSigner {
  private readonly alg: string;
  private readonly partnerKey: SetPartnerKey;
  private signingKey?: Awaited<ReturnType<typeof importJWK>>;
  private verifyingKey?: Awaited<ReturnType<typeof importJWK>>;

  /** check: false leaves the verdict to the gateway (publish: it runs the same verifier, and the check costs the CPU the gateway needs). */
  constructor(
    private readonly privateJwk: JWK,
    readonly issuer: string,
    readonly audience: string,
    private readonly check = true,
  ) {
    this.alg = algOf(privateJwk);
    this.partnerKey = { kid: privateJwk.kid as string, alg: this.alg, status: 'ACTIVE', jwk: publicJwkOf(privateJwk) };
  }

  async sign(input: unknown, now = Math.floor(Date.now() / 1000)): Promise<SignedEvent> {
    const claims = claimsOf(input, this.issuer, this.audience, now);
    this.signingKey ??= await importJWK(this.privateJwk, this.alg);
    this.verifyingKey ??= await importJWK({ ...this.partnerKey.jwk }, this.alg);
    const token = await new SignJWT(claims).setProtectedHeader({ alg: this.alg, kid: this.partnerKey.kid, typ: SET_TYP }).sign(this.signingKey);
    if (!this.check) return { token, jti: String(claims.jti), claims };
    const type = isObject(claims.events) ? Object.keys(claims.events)[0] : undefined;
    // The permission step is the gateway's to decide (it knows our kind): offline, a legal
    // request is checked as if we were LEGAL, everything else is checked in full.
    const verdict = await verifySet(token, {
      audience: this.audience,
      now,
      partner: { id: this.issuer, kind: type === EventType.LegalRequest ? 'LEGAL' : 'BANK', keys: [this.partnerKey] },
      importKey: async () => this.verifyingKey!,
    });
    if (!verdict.ok) throw new EventRefusal(verdict.code, verdict.description);
    return { token, jti: verdict.event.jti, claims };
  }
}
