// The merged risk score and the decision ladder. Pure: no Nest or TypeORM import. The README
// gives the same formulas with a worked example; `score-model.spec.ts` reproduces it.

export type Tier = 'NONE' | 'MONITOR' | 'WARN' | 'RESTRICT' | 'FREEZE';
export const TIERS: readonly Tier[] = ['NONE', 'MONITOR', 'WARN', 'RESTRICT', 'FREEZE'];

export interface SignalInput {
  eventId: string;
  issuer: string;
  category: string;
  score: number;
  confidence: number;
  /** Issuer's trust weight in [0, 1]. */
  trustWeight: number;
  /** observed_at, or iat when absent (seconds since the epoch). */
  observedAt: number;
  /** iat (seconds): the latest signal per issuer and category is the one issued last. */
  issuedAt: number;
}

export interface ModelConfig {
  /** Half-life per category, in days. */
  halfLifeDays: Readonly<Record<string, number>>;
  /** Lower bound of MONITOR, WARN, RESTRICT, FREEZE. */
  thresholds: { monitor: number; warn: number; restrict: number; freeze: number };
  /** E_i at or above which an issuer counts as corroborating. */
  corroborationMin: number;
}

/**
 * Half-lives: how fast a signal's weight halves. A velocity burst is stale within days; an
 * account takeover within a week or two; cash-out and arbitrage patterns over a month; collusion
 * rings and mule accounts over months; identity fraud stays relevant for half a year.
 */
export const DEFAULT_MODEL: ModelConfig = {
  halfLifeDays: {
    high_velocity: 3,
    account_takeover: 7,
    cash_out: 30,
    credit_arbitrage: 30,
    other: 30,
    merchant_collusion: 60,
    money_mule: 90,
    identity_fraud: 180,
  },
  thresholds: { monitor: 0.3, warn: 0.5, restrict: 0.7, freeze: 0.85 },
  corroborationMin: 0.3,
};

export interface Contribution extends SignalInput {
  /** e = score × confidence × trustWeight × 0.5^(age / halfLife) */
  strength: number;
}

export interface ScoreResult {
  score: number;
  /** One per issuer and category: the latest signal, with its decayed strength. */
  contributions: Contribution[];
  /** E_i per issuer. */
  issuerStrength: Record<string, number>;
  corroboratingPartners: number;
  tier: Tier;
}

const DAY = 86_400;

export function signalStrength(s: SignalInput, now: number, model: ModelConfig = DEFAULT_MODEL): number {
  const halfLife = (model.halfLifeDays[s.category] ?? model.halfLifeDays.other ?? 30) * DAY;
  const age = Math.max(0, now - s.observedAt);
  return clamp01(s.score) * clamp01(s.confidence) * clamp01(s.trustWeight) * Math.pow(0.5, age / halfLife);
}

export function tierOf(score: number, t = DEFAULT_MODEL.thresholds): Tier {
  if (score >= t.freeze) return 'FREEZE';
  if (score >= t.restrict) return 'RESTRICT';
  if (score >= t.warn) return 'WARN';
  if (score >= t.monitor) return 'MONITOR';
  return 'NONE';
}

/** S = 1 − Π_i (1 − E_i), with E_i = 1 − Π_c (1 − e_ic) over each issuer's latest signal per category. */
export function mergeSignals(signals: readonly SignalInput[], now: number, model: ModelConfig = DEFAULT_MODEL): ScoreResult {
  const latest = new Map<string, Map<string, SignalInput>>(); // issuer → category → latest signal
  for (const s of signals) {
    let byCategory = latest.get(s.issuer);
    if (!byCategory) latest.set(s.issuer, (byCategory = new Map()));
    const seen = byCategory.get(s.category);
    // Ties broken by event id, so the order of the inputs never matters.
    if (!seen || s.issuedAt > seen.issuedAt || (s.issuedAt === seen.issuedAt && s.eventId > seen.eventId)) byCategory.set(s.category, s);
  }
  const contributions: Contribution[] = [];
  for (const byCategory of latest.values()) {
    for (const s of byCategory.values()) {
      contributions.push({ eventId: s.eventId, issuer: s.issuer, category: s.category, score: s.score, confidence: s.confidence, trustWeight: s.trustWeight, observedAt: s.observedAt, issuedAt: s.issuedAt, strength: signalStrength(s, now, model) });
    }
  }
  contributions.sort((a, b) => b.strength - a.strength || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  const remaining = new Map<string, number>(); // Π_c (1 − e_ic) per issuer
  for (const c of contributions) remaining.set(c.issuer, (remaining.get(c.issuer) ?? 1) * (1 - c.strength));
  const issuerStrength: Record<string, number> = {};
  let product = 1;
  for (const issuer of [...remaining.keys()].sort()) {
    const rest = remaining.get(issuer)!;
    issuerStrength[issuer] = 1 - rest;
    product *= rest;
  }
  const score = clamp01(1 - product);
  const corroboratingPartners = Object.values(issuerStrength).filter((e) => e >= model.corroborationMin).length;
  return { score, contributions, issuerStrength, corroboratingPartners, tier: tierOf(score, model.thresholds) };
}

/** Issuers whose combined strength over the given contributions reaches the corroboration threshold. */
export function corroboratingOf(contributions: readonly Contribution[], model: ModelConfig = DEFAULT_MODEL): number {
  const remaining = new Map<string, number>();
  for (const c of contributions) remaining.set(c.issuer, (remaining.get(c.issuer) ?? 1) * (1 - c.strength));
  return [...remaining.values()].filter((rest) => 1 - rest >= model.corroborationMin).length;
}

export interface LadderInput {
  score: number;
  corroboratingPartners: number;
  /** An earlier episode ended within the last 365 days (or one is in progress from before). */
  repeat: boolean;
  /** An active `freeze` or `close` account flag from a BANK partner. */
  bankFreezeOrClose: boolean;
  /** An approved legal freeze (the gateway's freeze flag carrying the order), or null. */
  legalFreeze: LegalFreezeOrder | null;
  /**
   * What the rationale may describe, for a viewer who may not see every event: whether it may see
   * a bank's freeze or close flag, and how many corroborating partners it may see. Events beyond
   * these count in the tier but are described only as withheld. Absent: everything is described.
   */
  seen?: { bankFreezeOrClose: boolean; corroboratingPartners: number };
}

/** The order of an approved legal freeze, as the rationale names it. */
export interface LegalFreezeOrder {
  requestId: string;
  caseReference: string;
}

/** The rationale line of a legal freeze: names the order, so a receiver knows why and whom to ask. */
export const legalFreezeReason = (o: LegalFreezeOrder) => `an approved legal freeze applies: order ${o.caseReference} (legal request ${o.requestId}): FREEZE`;

export interface LadderResult {
  tier: Tier;
  scoreTier: Tier;
  recommendedAction: string;
  rationale: string[];
}

const ACTIONS: Record<Tier, string> = {
  NONE: 'No action.',
  MONITOR: 'Monitor the account; no customer-facing action.',
  WARN: 'Warn the customer that credit use looks irregular; keep the credit line open.',
  RESTRICT: 'Restrict the credit line (lower the limit, block cash-like merchants) pending review.',
  FREEZE: 'Freeze the credit line and open a review.',
};

const up = (t: Tier) => TIERS[Math.min(TIERS.length - 1, TIERS.indexOf(t) + 1)];
const atLeast = (t: Tier, floor: Tier) => (TIERS.indexOf(t) >= TIERS.indexOf(floor) ? t : floor);

/** Warn first, restrict or freeze repeat offenders. */
export function ladder(input: LadderInput, model: ModelConfig = DEFAULT_MODEL): LadderResult {
  const scoreTier = tierOf(input.score, model.thresholds);
  const why = [`merged score ${input.score.toFixed(3)} is in ${scoreTier}`];
  let tier = scoreTier;
  if (!input.repeat) {
    if (TIERS.indexOf(tier) > TIERS.indexOf('WARN')) {
      if (input.corroboratingPartners >= 2 && input.score >= model.thresholds.freeze) {
        why.push(
          input.seen && input.seen.corroboratingPartners < input.corroboratingPartners
            ? 'first-time subject, but partners corroborate at a freeze-level score, withheld events among them: not capped'
            : `first-time subject, but ${input.corroboratingPartners} partners corroborate at a freeze-level score: not capped`,
        );
      } else {
        tier = 'WARN';
        why.push('first-time subject (no episode in 365 days): capped at WARN');
      }
    }
  } else if (tier !== 'NONE') {
    tier = up(tier);
    why.push(`repeat subject (an earlier episode within 365 days): raised one tier to ${tier}`);
  }
  if (input.bankFreezeOrClose && TIERS.indexOf(tier) < TIERS.indexOf('RESTRICT')) {
    tier = atLeast(tier, 'RESTRICT');
    why.push(!input.seen || input.seen.bankFreezeOrClose ? 'a bank has frozen or closed the account: at least RESTRICT' : 'withheld events raise the tier to at least RESTRICT');
  }
  // Named even where the score alone reaches FREEZE: the order, not the score, decides when it ends.
  if (input.legalFreeze) {
    tier = 'FREEZE';
    why.push(legalFreezeReason(input.legalFreeze));
  }
  return { tier, scoreTier, recommendedAction: ACTIONS[tier], rationale: why };
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
