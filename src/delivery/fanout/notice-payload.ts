// The claims of a delivered SET (profile section 5), except iss/iat/jti which the signer adds.
// Pure: no Nest, no TypeORM. Masking is the one policy of sharing/masking.ts. A partner event's
// notice is stored without `events` (`awaitsEventClaims`) and completed by the signer at first
// send with `partnerEventClaims`, from the stored event and the receiver's access at that moment.
import { GATEWAY_ISSUER_ID } from '../../events/gateway-issuer';
import { maskEvent } from '../../sharing/masking';

/** Partner event types as delivered (their own URIs); legal requests are never delivered. */
export const PARTNER_EVENT_URI = {
  RISK_SIGNAL: 'urn:risk-exchange:event:risk-signal',
  ACCOUNT_FLAG: 'urn:risk-exchange:event:account-flag',
  FLAG_LIFTED: 'urn:risk-exchange:event:flag-lifted',
  RETRACTION: 'urn:risk-exchange:event:retraction',
} as const;
export type DeliveredPartnerType = keyof typeof PARTNER_EVENT_URI;

/** Tier change of the merged score, native form. */
export const TIER_CHANGED_URI = 'urn:risk-exchange:event:risk-tier-changed';
/** Tier change as the CAEP 1.0 Risk Level Change event. */
export const CAEP_RISK_LEVEL_URI = 'https://schemas.openid.net/secevent/caep/event-type/risk-level-change';

/** Every event type the fan-out writes (SSF control events are the stream service's). */
export const FANOUT_EVENT_TYPES: readonly string[] = [...Object.values(PARTNER_EVENT_URI), TIER_CHANGED_URI, CAEP_RISK_LEVEL_URI];

export type CaepLevel = 'LOW' | 'MEDIUM' | 'HIGH';

/** Profile section 5: NONE and MONITOR are LOW, WARN is MEDIUM, RESTRICT and FREEZE are HIGH. */
export function caepLevelOf(tier: string): CaepLevel {
  switch (tier.toUpperCase()) {
    case 'NONE':
    case 'MONITOR':
      return 'LOW';
    case 'WARN':
      return 'MEDIUM';
    case 'RESTRICT':
    case 'FREEZE':
      return 'HIGH';
    default:
      throw new Error(`unknown tier "${tier}": no CAEP risk level for it`);
  }
}

/** A stored partner event as the signer reads it at first send, with what the receiver may see. */
export interface DeliverableEvent {
  id: string;
  issuer: string;
  jti: string;
  subject: string;
  type: DeliveredPartnerType;
  category: string | null;
  action: string | null;
  score: number | null;
  confidence: number | null;
  reasonCodes: string[] | null;
  distribution: string | null;
  observedAt: Date | null;
  effectiveAt: Date | null;
  expiresAt: Date | null;
  evidence: Record<string, unknown> | null;
  /** The partner's own compact token. */
  token: string | null;
  /** Retractions and lifts: the jti of the issuer's event they act on. */
  targetJti: string | null;
  details: Record<string, unknown> | null;
}

/** Claims of a notice: what `delivery.payload` holds (a partner event's: without `events`, see below). */
export interface NoticeClaims {
  aud: string;
  sub_id: { format: 'opaque'; id: string };
  txn?: string;
  events: Record<string, Record<string, unknown>>;
}

const numericDate = (d: Date | null) => (d === null ? null : Math.floor(d.getTime() / 1000));

/** Drops null members: fields the event lacks, and fields masked for this receiver, are left out. */
function present(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in fields) if (fields[k] !== null && fields[k] !== undefined) out[k] = fields[k];
  return out;
}

type Visible = Pick<DeliverableEvent, 'evidence' | 'token' | 'reasonCodes'>;

/** The event's own fields in profile form (section 3), with the masked fields of `v`. */
function profileFields(e: DeliverableEvent, v: Visible): Record<string, unknown> {
  switch (e.type) {
    case 'RISK_SIGNAL':
      return { category: e.category, score: e.score, confidence: e.confidence, reason_codes: v.reasonCodes, observed_at: numericDate(e.observedAt), expires_at: numericDate(e.expiresAt), distribution: e.distribution, evidence: v.evidence };
    case 'ACCOUNT_FLAG':
      return { action: e.action, reason_codes: v.reasonCodes, effective_at: numericDate(e.effectiveAt), expires_at: numericDate(e.expiresAt), distribution: e.distribution };
    case 'FLAG_LIFTED':
      return { flag_jti: e.targetJti, reason_codes: v.reasonCodes };
    case 'RETRACTION':
      return { retracts_jti: e.targetJti, reason: typeof e.details?.reason === 'string' ? e.details.reason : null };
  }
}

/**
 * The gateway's own flag and lift (issuer `@gateway`, README "Freeze") carry the legal order they
 * act on, as in the gateway-signed token: the request id, and for the flag the case reference and
 * authority. A partner's details are never copied.
 */
function legalOrderFields(e: DeliverableEvent): Record<string, unknown> {
  if (e.issuer !== GATEWAY_ISSUER_ID || !e.details) return {};
  const keys = e.type === 'ACCOUNT_FLAG' ? ['legal_request_id', 'case_reference', 'authority'] : ['legal_request_id'];
  return Object.fromEntries(keys.filter((k) => typeof e.details![k] === 'string').map((k) => [k, e.details![k]]));
}

/**
 * The notice of a partner event for one stream: `txn` is the partner event's jti; the single member
 * of `events` carries the event's fields, its `issuer` and gateway `event_id`, and `original_token`
 * only with full access (evidence, reason codes and the token are masked otherwise).
 */
export function partnerEventClaims(e: DeliverableEvent, aud: string, fullAccess: boolean): NoticeClaims {
  // Only the maskable fields go through the policy: copying the whole row there cost more than
  // the rest of the notice (the fan-out builds one per pair inside the publishing transaction).
  const v = maskEvent<Visible>({ evidence: e.evidence, token: e.token, reasonCodes: e.reasonCodes }, fullAccess);
  const fields = profileFields(e, v);
  Object.assign(fields, legalOrderFields(e));
  fields.issuer = e.issuer;
  fields.event_id = e.id;
  fields.original_token = v.token;
  return { aud, sub_id: { format: 'opaque', id: e.subject }, txn: e.jti, events: { [PARTNER_EVENT_URI[e.type]]: present(fields) } };
}

/**
 * A partner event's notice as the publishing transaction stores it: `aud`, `sub_id` and `txn`
 * (the pull methods read the last two), no `events`. The fan-out writes exactly these members in
 * SQL (fanout.sql.ts); the signer recognises such a notice by the missing `events` and builds the
 * member from the stored event when it first signs the notice (`partnerEventClaims`). Events are
 * immutable, so only access can differ between the two moments, and the later one is what counts.
 * Answers whether a delivery's payload is such a notice.
 */
export function awaitsEventClaims(payload: Record<string, unknown>): boolean {
  return payload.events === undefined;
}

/** A tier change of a subject's merged score (scoring's ScoreHistory row). */
export interface TierChange {
  subject: string;
  previousTier: string;
  tier: string;
  score: number;
  at: Date;
}

/**
 * The notices of one tier change for one stream, by what it requested: the native event, and the
 * CAEP Risk Level Change only when the mapped level changes (NONE -> MONITOR is LOW -> LOW: none).
 * `txn` is the jti of a causing event the receiver may see, or absent.
 */
export function tierChangeClaims(c: TierChange, requested: readonly string[], aud: string, txn: string | null): Array<{ eventType: string; claims: NoticeClaims }> {
  const base = { aud, sub_id: { format: 'opaque' as const, id: c.subject }, ...(txn ? { txn } : {}) };
  const out: Array<{ eventType: string; claims: NoticeClaims }> = [];
  const changedAt = numericDate(c.at) as number;
  if (requested.includes(TIER_CHANGED_URI)) {
    out.push({ eventType: TIER_CHANGED_URI, claims: { ...base, events: { [TIER_CHANGED_URI]: { previous_tier: c.previousTier.toLowerCase(), tier: c.tier.toLowerCase(), score: c.score, changed_at: changedAt } } } });
  }
  const previous = caepLevelOf(c.previousTier);
  const current = caepLevelOf(c.tier);
  if (requested.includes(CAEP_RISK_LEVEL_URI) && previous !== current) {
    // CAEP 1.0 section 3.8: principal and current_level required, previous_level optional,
    // risk_reason recommended; event_timestamp and initiating_entity are CAEP's common claims.
    const event = {
      principal: 'USER',
      current_level: current,
      previous_level: previous,
      risk_reason: `risk-exchange merged score: tier ${c.previousTier.toLowerCase()} -> ${c.tier.toLowerCase()}`,
      event_timestamp: changedAt,
      initiating_entity: 'system',
    };
    out.push({ eventType: CAEP_RISK_LEVEL_URI, claims: { ...base, events: { [CAEP_RISK_LEVEL_URI]: event } } });
  }
  return out;
}
