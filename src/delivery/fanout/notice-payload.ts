// The claims of a delivered SET (profile section 5), except iss/iat/jti which the signer adds.
// Pure: no Nest, no TypeORM. Masking is the one policy of sharing/masking.ts. A partner event's
// profile form is built in SQL by the fan-out (fanout.sql.ts), without the masked members, which
// the signer adds at first send (`withMaskedMembers`).
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

/** Claims of a notice: what `delivery.payload` holds. */
export interface NoticeClaims {
  aud: string;
  sub_id: { format: 'opaque'; id: string };
  txn?: string;
  events: Record<string, Record<string, unknown>>;
}

const numericDate = (d: Date | null) => (d === null ? null : Math.floor(d.getTime() / 1000));

/**
 * The members of a partner event that `sharing/masking.ts` withholds without full access, by type
 * (profile section 3: only a risk signal has evidence, a retraction has no reason codes). The
 * fan-out never writes them into the ledger: the signer adds them when it signs the notice, if the
 * receiver has full access at that moment (`withMaskedMembers`).
 */
const MASKED_MEMBERS: Record<DeliveredPartnerType, { reasonCodes: boolean; evidence: boolean }> = {
  RISK_SIGNAL: { reasonCodes: true, evidence: true },
  ACCOUNT_FLAG: { reasonCodes: true, evidence: false },
  FLAG_LIFTED: { reasonCodes: true, evidence: false },
  RETRACTION: { reasonCodes: false, evidence: false },
};

const TYPE_OF_URI = new Map<string, DeliveredPartnerType>(Object.entries(PARTNER_EVENT_URI).map(([t, uri]) => [uri, t as DeliveredPartnerType]));

/** The partner event type a notice's single `events` member is, or null (tier changes, control and partner-addressed notices). */
export function partnerEventTypeOf(claims: Record<string, unknown>): DeliveredPartnerType | null {
  const events = claims.events;
  if (!events || typeof events !== 'object') return null;
  const uris = Object.keys(events);
  return uris.length === 1 ? (TYPE_OF_URI.get(uris[0]) ?? null) : null;
}

/** The stored event's maskable fields, and whether the receiver has full access to them now. */
export interface MaskedSource {
  fullAccess: boolean;
  /** The partner's own compact token. */
  token: string | null;
  evidence: Record<string, unknown> | null;
  reasonCodes: string[] | null;
}

/**
 * A partner event notice as signed: its stored claims, with `reason_codes`, `evidence` and
 * `original_token` taken from the stored event under full access, and left out otherwise (the one
 * policy of sharing/masking.ts; `source` undefined, an event gone, counts as no access). Whatever
 * the stored payload carried in those members is replaced, never trusted. Other notices unchanged.
 */
export function withMaskedMembers(claims: Record<string, unknown>, source: MaskedSource | undefined): Record<string, unknown> {
  const type = partnerEventTypeOf(claims);
  if (!type) return claims;
  const [[uri, stored]] = Object.entries(claims.events as Record<string, Record<string, unknown>>);
  const member: Record<string, unknown> = { ...stored };
  delete member.reason_codes;
  delete member.evidence;
  delete member.original_token;
  const v = maskEvent({ evidence: source?.evidence ?? null, token: source?.token ?? null, reasonCodes: source?.reasonCodes ?? null }, source?.fullAccess === true);
  if (MASKED_MEMBERS[type].reasonCodes && v.reasonCodes !== null) member.reason_codes = v.reasonCodes;
  if (MASKED_MEMBERS[type].evidence && v.evidence !== null) member.evidence = v.evidence;
  if (v.token !== null) member.original_token = v.token;
  return { ...claims, events: { [uri]: member } };
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
