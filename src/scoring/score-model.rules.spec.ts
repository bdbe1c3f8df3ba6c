import { DEFAULT_MODEL, ladder, mergeSignals, SignalInput, signalStrength, tierOf } from './score-model';

// Edges of the score model and the ladder, with exact values: boundaries, clamping, tie-breaks,
// and the words a partner reads (rationale, recommended action).
const NOW = 1_795_000_000;
const DAY = 86_400;
const sig = (o: Partial<SignalInput>): SignalInput => ({ eventId: 'e', issuer: 'bank-a', category: 'cash_out', score: 1, confidence: 1, trustWeight: 1, observedAt: NOW, issuedAt: NOW, ...o });
const base = { corroboratingPartners: 0, repeat: false, bankFreezeOrClose: false, legalFreeze: null };

// Mutants left alive by `npm run mutation` in score-model.ts, all equivalent:
// - `s.eventId > seen.eventId` -> `>=`: equal only for the same event given twice.
// - issuers multiplied in insertion order instead of sorted: the same product up to float
//   rounding in the last bit (the sort is there to make it bit-for-bit stable).
// - atLeast's comparison (`>` or always the floor): ladder calls it only below RESTRICT.
// - the event-id tie-break returning 0 instead of 1 (or `<=`/`>=`): ids are distinct, and V8's
//   sort only asks whether the comparator is negative, so "after" and "equal" sort alike.
// - the "NONE" tier name emptied (static): no input reaches NONE's name through a lookup that
//   a spec could tell from ''; ladder and tierOf return the literals, not TIERS entries.
describe('score model: edges', () => {
  it('clamps every factor to [0, 1], and a non-finite one to 0', () => {
    expect(signalStrength(sig({ score: 2, confidence: 1.5, trustWeight: 7 }), NOW)).toBe(1);
    expect(signalStrength(sig({ score: -1 }), NOW)).toBe(0);
    expect(signalStrength(sig({ confidence: Number.NaN }), NOW)).toBe(0);
    expect(signalStrength(sig({ trustWeight: Number.POSITIVE_INFINITY }), NOW)).toBe(0);
    expect(signalStrength(sig({ score: 0.5, confidence: 0.5, trustWeight: 0.5 }), NOW)).toBe(0.125);
  });

  it('uses the category half-life, the "other" one for an unknown category, and 30 days without either', () => {
    expect(signalStrength(sig({ category: 'high_velocity', observedAt: NOW - 3 * DAY }), NOW)).toBe(0.5);
    expect(signalStrength(sig({ category: 'identity_fraud', observedAt: NOW - 360 * DAY }), NOW)).toBe(0.25);
    expect(signalStrength(sig({ category: 'made_up', observedAt: NOW - 30 * DAY }), NOW)).toBe(0.5);
    const bare = { ...DEFAULT_MODEL, halfLifeDays: { cash_out: 10 } };
    expect(signalStrength(sig({ category: 'made_up', observedAt: NOW - 30 * DAY }), NOW, bare)).toBe(0.5);
    expect(signalStrength(sig({ observedAt: NOW - 10 * DAY }), NOW, bare)).toBe(0.5);
    // A signal observed in the future does not grow: its age is 0.
    expect(signalStrength(sig({ observedAt: NOW + 10 * DAY }), NOW)).toBe(1);
  });

  it('puts each threshold in the tier above it, with the model thresholds given', () => {
    expect([0.29999, 0.3, 0.49999, 0.5, 0.69999, 0.7, 0.84999, 0.85].map((s) => tierOf(s))).toEqual(['NONE', 'MONITOR', 'MONITOR', 'WARN', 'WARN', 'RESTRICT', 'RESTRICT', 'FREEZE']);
    const t = { monitor: 0.1, warn: 0.2, restrict: 0.3, freeze: 0.4 };
    expect([0.05, 0.1, 0.2, 0.3, 0.4].map((s) => tierOf(s, t))).toEqual(['NONE', 'MONITOR', 'WARN', 'RESTRICT', 'FREEZE']);
    expect(mergeSignals([sig({ score: 0.35 })], NOW, { ...DEFAULT_MODEL, thresholds: t }).tier).toBe('RESTRICT');
  });

  it('keeps the latest signal per issuer and category, the higher event id on a tie, whatever the order', () => {
    const older = sig({ eventId: 'a', score: 0.9, issuedAt: NOW - 10 });
    const newer = sig({ eventId: 'b', score: 0.2, issuedAt: NOW - 5 });
    for (const order of [[older, newer], [newer, older]]) {
      expect(mergeSignals(order, NOW).contributions.map((c) => c.eventId)).toEqual(['b']);
    }
    // The later one wins even when its id sorts first.
    const olderHighId = sig({ eventId: 'z', score: 0.9, issuedAt: NOW - 10 });
    for (const order of [[olderHighId, newer], [newer, olderHighId]]) {
      expect(mergeSignals(order, NOW).contributions.map((c) => c.eventId)).toEqual(['b']);
    }
    const tieLow = sig({ eventId: 'x1', score: 0.9 });
    const tieHigh = sig({ eventId: 'x2', score: 0.2 });
    for (const order of [[tieLow, tieHigh], [tieHigh, tieLow]]) {
      expect(mergeSignals(order, NOW).contributions).toEqual([{ ...tieHigh, strength: 0.2 }]);
    }
  });

  it('lists contributions strongest first, equal strengths by event id, and merges issuers exactly', () => {
    const r = mergeSignals([
      sig({ eventId: 'c', issuer: 'shop-b', score: 0.5 }),
      sig({ eventId: 'b', issuer: 'bank-a', category: 'other', score: 0.5 }),
      sig({ eventId: 'a', issuer: 'bank-a', score: 0.25 }),
    ], NOW);
    expect(r.contributions.map((c) => c.eventId)).toEqual(['b', 'c', 'a']);
    expect(r.issuerStrength).toEqual({ 'bank-a': 0.625, 'shop-b': 0.5 });
    expect(r.score).toBe(0.8125);
    expect(r.tier).toBe('RESTRICT');
    expect(r.corroboratingPartners).toBe(2);
    // Equal strengths by event id, whatever the input order.
    const equal = ['d', 'b', 'a', 'c'].map((id, i) => sig({ eventId: id, issuer: `p-${i}`, score: 0.5 }));
    for (const order of [equal, [...equal].reverse(), [equal[2], equal[0], equal[3], equal[1]]]) {
      expect(mergeSignals(order, NOW).contributions.map((c) => c.eventId)).toEqual(['a', 'b', 'c', 'd']);
    }
    expect(mergeSignals([], NOW)).toEqual({ score: 0, contributions: [], issuerStrength: {}, corroboratingPartners: 0, tier: 'NONE' });
  });

  it('counts an issuer as corroborating from exactly corroborationMin', () => {
    const model = { ...DEFAULT_MODEL, corroborationMin: 0.5 };
    expect(mergeSignals([sig({ score: 0.5 }), sig({ issuer: 'shop-b', score: 0.25 })], NOW, model).corroboratingPartners).toBe(1);
    expect(mergeSignals([sig({ score: 0.5 }), sig({ issuer: 'shop-b', score: 0.5 })], NOW, model).corroboratingPartners).toBe(2);
  });
});

describe('decision ladder: exact outcomes', () => {
  it('says what it did and what to do, tier by tier', () => {
    expect(ladder({ ...base, score: 0.1 })).toEqual({ tier: 'NONE', scoreTier: 'NONE', recommendedAction: 'No action.', rationale: ['merged score 0.100 is in NONE'] });
    expect(ladder({ ...base, score: 0.3 })).toEqual({ tier: 'MONITOR', scoreTier: 'MONITOR', recommendedAction: 'Monitor the account; no customer-facing action.', rationale: ['merged score 0.300 is in MONITOR'] });
    expect(ladder({ ...base, score: 0.5 })).toEqual({ tier: 'WARN', scoreTier: 'WARN', recommendedAction: 'Warn the customer that credit use looks irregular; keep the credit line open.', rationale: ['merged score 0.500 is in WARN'] });
    expect(ladder({ ...base, score: 0.7 })).toEqual({
      tier: 'WARN', scoreTier: 'RESTRICT', recommendedAction: 'Warn the customer that credit use looks irregular; keep the credit line open.',
      rationale: ['merged score 0.700 is in RESTRICT', 'first-time subject (no episode in 365 days): capped at WARN'],
    });
    expect(ladder({ ...base, score: 0.7, repeat: true })).toEqual({
      tier: 'FREEZE', scoreTier: 'RESTRICT', recommendedAction: 'Freeze the credit line and open a review.',
      rationale: ['merged score 0.700 is in RESTRICT', 'repeat subject (an earlier episode within 365 days): raised one tier to FREEZE'],
    });
    expect(ladder({ ...base, score: 0.5, repeat: true })).toMatchObject({ tier: 'RESTRICT', recommendedAction: 'Restrict the credit line (lower the limit, block cash-like merchants) pending review.' });
  });

  it('keeps FREEZE at FREEZE for a repeat subject, and leaves NONE alone', () => {
    expect(ladder({ ...base, score: 0.9, repeat: true })).toMatchObject({ tier: 'FREEZE', rationale: ['merged score 0.900 is in FREEZE', 'repeat subject (an earlier episode within 365 days): raised one tier to FREEZE'] });
    expect(ladder({ ...base, score: 0.2, repeat: true })).toEqual({ tier: 'NONE', scoreTier: 'NONE', recommendedAction: 'No action.', rationale: ['merged score 0.200 is in NONE'] });
    expect(ladder({ ...base, score: 0.3, repeat: true }).tier).toBe('WARN');
  });

  it('lets a first-time subject through uncapped only with two corroborating partners at a freeze-level score', () => {
    expect(ladder({ ...base, score: 0.85, corroboratingPartners: 2 })).toEqual({
      tier: 'FREEZE', scoreTier: 'FREEZE', recommendedAction: 'Freeze the credit line and open a review.',
      rationale: ['merged score 0.850 is in FREEZE', 'first-time subject, but 2 partners corroborate at a freeze-level score: not capped'],
    });
    expect(ladder({ ...base, score: 0.84, corroboratingPartners: 3 }).tier).toBe('WARN');
    expect(ladder({ ...base, score: 0.9, corroboratingPartners: 1 }).tier).toBe('WARN');
    // WARN itself is not capped (nothing to say).
    expect(ladder({ ...base, score: 0.6 }).rationale).toEqual(['merged score 0.600 is in WARN']);
  });

  it('applies the bank floor only where it raises the tier, and the legal freeze always, naming the order', () => {
    expect(ladder({ ...base, score: 0.5, bankFreezeOrClose: true })).toEqual({
      tier: 'RESTRICT', scoreTier: 'WARN', recommendedAction: 'Restrict the credit line (lower the limit, block cash-like merchants) pending review.',
      rationale: ['merged score 0.500 is in WARN', 'a bank has frozen or closed the account: at least RESTRICT'],
    });
    expect(ladder({ ...base, score: 0.7, repeat: true, bankFreezeOrClose: true }).rationale).toEqual(['merged score 0.700 is in RESTRICT', 'repeat subject (an earlier episode within 365 days): raised one tier to FREEZE']);
    expect(ladder({ ...base, score: 0.5, repeat: true, bankFreezeOrClose: true })).toMatchObject({ tier: 'RESTRICT', rationale: ['merged score 0.500 is in WARN', 'repeat subject (an earlier episode within 365 days): raised one tier to RESTRICT'] });
    const order = { requestId: '0b6f3c1e-8a55-4b7e-9d0a-3c2f1e4d5a6b', caseReference: 'AG-Berlin 12 Js 345/26' };
    expect(ladder({ ...base, score: 0.1, legalFreeze: order })).toEqual({
      tier: 'FREEZE', scoreTier: 'NONE', recommendedAction: 'Freeze the credit line and open a review.',
      rationale: ['merged score 0.100 is in NONE', 'an approved legal freeze applies: order AG-Berlin 12 Js 345/26 (legal request 0b6f3c1e-8a55-4b7e-9d0a-3c2f1e4d5a6b): FREEZE'],
    });
    // Already FREEZE by the score: the order is named anyway (its lift, not the score, ends it).
    expect(ladder({ ...base, score: 0.9, repeat: true, legalFreeze: order }).rationale).toEqual([
      'merged score 0.900 is in FREEZE', 'repeat subject (an earlier episode within 365 days): raised one tier to FREEZE',
      'an approved legal freeze applies: order AG-Berlin 12 Js 345/26 (legal request 0b6f3c1e-8a55-4b7e-9d0a-3c2f1e4d5a6b): FREEZE',
    ]);
    expect(ladder({ ...base, score: 0.1, legalFreeze: null })).toMatchObject({ tier: 'NONE', rationale: ['merged score 0.100 is in NONE'] });
  });
});
