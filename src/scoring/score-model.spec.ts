import fc from 'fast-check';
import { corroboratingOf, DEFAULT_MODEL, ladder, mergeSignals, SignalInput, signalStrength, tierOf } from './score-model';

const NOW = 1_795_000_000;
const DAY = 86_400;

describe('score model: the README worked example', () => {
  const signals: SignalInput[] = [
    { eventId: 'e1', issuer: 'bank-a', category: 'cash_out', score: 0.9, confidence: 0.9, trustWeight: 0.8, observedAt: NOW - 15 * DAY, issuedAt: NOW - 15 * DAY },
    { eventId: 'e2', issuer: 'bank-a', category: 'high_velocity', score: 0.8, confidence: 1, trustWeight: 0.8, observedAt: NOW - 3 * DAY, issuedAt: NOW - 3 * DAY },
    { eventId: 'e3', issuer: 'shop-b', category: 'merchant_collusion', score: 0.7, confidence: 0.8, trustWeight: 0.5, observedAt: NOW, issuedAt: NOW },
  ];

  it('computes each strength, each issuer, and the merged score', () => {
    const r = mergeSignals(signals, NOW);
    const byId = Object.fromEntries(r.contributions.map((c) => [c.eventId, c.strength]));
    expect(byId.e1).toBeCloseTo(0.458205, 5);
    expect(byId.e2).toBeCloseTo(0.32, 6);
    expect(byId.e3).toBeCloseTo(0.28, 6);
    expect(r.issuerStrength['bank-a']).toBeCloseTo(0.631583, 5);
    expect(r.issuerStrength['shop-b']).toBeCloseTo(0.28, 6);
    expect(r.score).toBeCloseTo(0.734740, 5);
    expect(r.tier).toBe('RESTRICT');
    expect(r.corroboratingPartners).toBe(1);
  });

  it('caps a first-time subject at WARN and raises a repeat one to FREEZE', () => {
    const r = mergeSignals(signals, NOW);
    expect(ladder({ score: r.score, corroboratingPartners: 1, repeat: false, bankFreezeOrClose: false, legalFreeze: null })).toMatchObject({ tier: 'WARN', scoreTier: 'RESTRICT' });
    expect(ladder({ score: r.score, corroboratingPartners: 1, repeat: true, bankFreezeOrClose: false, legalFreeze: null }).tier).toBe('FREEZE');
  });

  it('lets corroboration at a freeze-level score through for a first-time subject, and applies flag floors', () => {
    expect(ladder({ score: 0.9, corroboratingPartners: 2, repeat: false, bankFreezeOrClose: false, legalFreeze: null }).tier).toBe('FREEZE');
    expect(ladder({ score: 0.9, corroboratingPartners: 1, repeat: false, bankFreezeOrClose: false, legalFreeze: null }).tier).toBe('WARN');
    expect(ladder({ score: 0.1, corroboratingPartners: 0, repeat: false, bankFreezeOrClose: true, legalFreeze: null }).tier).toBe('RESTRICT');
    expect(ladder({ score: 0.1, corroboratingPartners: 0, repeat: false, bankFreezeOrClose: false, legalFreeze: { requestId: 'r-1', caseReference: 'case-1' } }).tier).toBe('FREEZE');
    expect(ladder({ score: 0.1, corroboratingPartners: 0, repeat: true, bankFreezeOrClose: false, legalFreeze: null }).tier).toBe('NONE');
  });

  it('describes what the viewer may not see only as withheld, with the same tier', () => {
    const base = { score: 0.1, corroboratingPartners: 0, repeat: false, bankFreezeOrClose: true, legalFreeze: null };
    const hidden = ladder({ ...base, seen: { bankFreezeOrClose: false, corroboratingPartners: 0 } });
    expect(hidden).toMatchObject({ tier: 'RESTRICT', rationale: ['merged score 0.100 is in NONE', 'withheld events raise the tier to at least RESTRICT'] });
    expect(hidden.rationale.join(' ')).not.toMatch(/bank|frozen|closed|freeze/i);
    expect(ladder({ ...base, seen: { bankFreezeOrClose: true, corroboratingPartners: 0 } }).rationale[1]).toBe('a bank has frozen or closed the account: at least RESTRICT');
    const strong = { score: 0.9, corroboratingPartners: 3, repeat: false, bankFreezeOrClose: false, legalFreeze: null };
    const partly = ladder({ ...strong, seen: { bankFreezeOrClose: false, corroboratingPartners: 1 } });
    expect(partly).toMatchObject({ tier: 'FREEZE', rationale: ['merged score 0.900 is in FREEZE', 'first-time subject, but partners corroborate at a freeze-level score, withheld events among them: not capped'] });
    expect(ladder({ ...strong, seen: { bankFreezeOrClose: false, corroboratingPartners: 3 } }).rationale[1]).toBe('first-time subject, but 3 partners corroborate at a freeze-level score: not capped');
  });

  it('counts corroborating partners over the given contributions only', () => {
    const c = (issuer: string, strength: number) => ({ eventId: `${issuer}-${strength}`, issuer, category: 'cash_out', score: 1, confidence: 1, trustWeight: 1, observedAt: NOW, issuedAt: NOW, strength });
    expect(corroboratingOf([c('a', 0.2), c('a', 0.2), c('b', 0.29), c('d', 0.3)])).toBe(2); // a: 1 − 0.8² = 0.36; b below; d at the threshold
    expect(corroboratingOf([])).toBe(0);
  });

  it('uses the tier thresholds', () => {
    expect([0, 0.29, 0.3, 0.5, 0.7, 0.85, 1].map((s) => tierOf(s))).toEqual(['NONE', 'NONE', 'MONITOR', 'WARN', 'RESTRICT', 'FREEZE', 'FREEZE']);
  });

  it('counts one issuer repeating itself once: the latest signal per category', () => {
    const again = { ...signals[0], eventId: 'e0', issuedAt: NOW - 20 * DAY, observedAt: NOW - 20 * DAY, score: 1 };
    expect(mergeSignals([...signals, again], NOW).score).toBeCloseTo(mergeSignals(signals, NOW).score, 12);
  });
});

const signalArb = fc.record({
  eventId: fc.uuid(),
  issuer: fc.constantFrom('bank-a', 'bank-b', 'shop-c', 'scorer-d'),
  category: fc.constantFrom(...Object.keys(DEFAULT_MODEL.halfLifeDays)),
  score: fc.double({ min: 0, max: 1, noNaN: true }),
  confidence: fc.double({ min: 0, max: 1, noNaN: true }),
  trustWeight: fc.double({ min: 0, max: 1, noNaN: true }),
  observedAt: fc.integer({ min: NOW - 400 * DAY, max: NOW }),
}).map((s) => ({ ...s, issuedAt: s.observedAt }));

describe('score model: properties', () => {
  it('stays in [0, 1]', () => {
    fc.assert(fc.property(fc.array(signalArb, { maxLength: 30 }), (signals) => {
      const s = mergeSignals(signals, NOW).score;
      return s >= 0 && s <= 1;
    }));
  });

  it('never drops when a positive signal is added (in a category the issuer had not used)', () => {
    fc.assert(fc.property(fc.array(signalArb, { maxLength: 20 }), signalArb, (signals, extra) => {
      const used = new Set(signals.map((s) => `${s.issuer}|${s.category}`));
      fc.pre(!used.has(`${extra.issuer}|${extra.category}`));
      return mergeSignals([...signals, extra], NOW).score >= mergeSignals(signals, NOW).score - 1e-12;
    }));
  });

  it('returns exactly to the earlier value when a signal is retracted', () => {
    fc.assert(fc.property(fc.array(signalArb, { maxLength: 20 }), signalArb, (signals, extra) => {
      const used = new Set(signals.map((s) => `${s.issuer}|${s.category}`));
      fc.pre(!used.has(`${extra.issuer}|${extra.category}`));
      const before = mergeSignals(signals, NOW).score;
      const withExtra = [extra, ...signals];
      const retracted = withExtra.filter((s) => s !== extra).reverse(); // same set, another order
      return mergeSignals(withExtra, NOW).score >= before && mergeSignals(retracted, NOW).score === before;
    }));
  });

  it('never rises with decay (time passing)', () => {
    fc.assert(fc.property(fc.array(signalArb, { maxLength: 20 }), fc.integer({ min: 0, max: 400 * DAY }), (signals, later) => {
      return mergeSignals(signals, NOW + later).score <= mergeSignals(signals, NOW).score + 1e-12;
    }));
  });

  it('does not depend on the order of the inputs', () => {
    fc.assert(fc.property(fc.array(signalArb, { maxLength: 20 }).chain((a) => fc.tuple(fc.constant(a), fc.shuffledSubarray(a, { minLength: a.length, maxLength: a.length }))), ([a, b]) => {
      return mergeSignals(a, NOW).score === mergeSignals(b, NOW).score;
    }));
  });

  it('a single signal strength is the product of its factors and decays by half per half-life', () => {
    fc.assert(fc.property(signalArb, (s) => {
      const base = signalStrength({ ...s, observedAt: NOW }, NOW);
      const half = signalStrength({ ...s, observedAt: NOW - DEFAULT_MODEL.halfLifeDays[s.category] * DAY }, NOW);
      return Math.abs(half - base / 2) < 1e-12;
    }));
  });
});
