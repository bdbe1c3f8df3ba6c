import { CAEP_RISK_LEVEL_URI, caepLevelOf, FANOUT_EVENT_TYPES, MaskedSource, partnerEventTypeOf, TIER_CHANGED_URI, tierChangeClaims, withMaskedMembers } from './notice-payload';

const at = (s: number) => new Date(s * 1000);
const SUBJECT = 'v1:subject-0001';
const EVENT_ID = '11111111-1111-4111-8111-111111111111';
const SIGNAL = 'urn:risk-exchange:event:risk-signal';

/** A risk signal notice as the fan-out stores it: profile form without the masked members. */
function stored(uri = SIGNAL, member: Record<string, unknown> = { category: 'cash_out', score: 0.8, distribution: 'granted', issuer: 'bank-a', event_id: EVENT_ID }) {
  return { aud: 'https://shop.example/ssf', sub_id: { format: 'opaque', id: SUBJECT }, txn: 's1', events: { [uri]: member } };
}
const source = (fullAccess: boolean): MaskedSource => ({ fullAccess, token: 'h.p.s', evidence: { txn_count: 14 }, reasonCodes: ['burst_large_txn'] });

describe('notice payload (profile section 5)', () => {
  it('adds reason codes, evidence and the original token to a risk signal under full access at signing', () => {
    expect(withMaskedMembers(stored(), source(true))).toEqual({
      ...stored(),
      events: { [SIGNAL]: { category: 'cash_out', score: 0.8, distribution: 'granted', issuer: 'bank-a', event_id: EVENT_ID, reason_codes: ['burst_large_txn'], evidence: { txn_count: 14 }, original_token: 'h.p.s' } },
    });
  });

  it('leaves them out without full access, or when the event is gone, and drops any stored copy rather than trusting it', () => {
    const withCopies = stored(SIGNAL, { category: 'cash_out', issuer: 'bank-a', event_id: EVENT_ID, reason_codes: ['old'], evidence: { old: true }, original_token: 'old.token.x' });
    const bare = { category: 'cash_out', issuer: 'bank-a', event_id: EVENT_ID };
    expect(withMaskedMembers(withCopies, source(false)).events).toEqual({ [SIGNAL]: bare });
    expect(withMaskedMembers(withCopies, undefined).events).toEqual({ [SIGNAL]: bare });
    // And with access, the event's own values replace the stored copies.
    expect((withMaskedMembers(withCopies, source(true)).events as any)[SIGNAL]).toMatchObject({ reason_codes: ['burst_large_txn'], original_token: 'h.p.s' });
  });

  it('adds only the members a type has: no evidence on a flag or a lift, no reason codes on a retraction', () => {
    const flag = 'urn:risk-exchange:event:account-flag';
    const lift = 'urn:risk-exchange:event:flag-lifted';
    const retraction = 'urn:risk-exchange:event:retraction';
    expect(withMaskedMembers(stored(flag, { action: 'freeze' }), source(true)).events).toEqual({ [flag]: { action: 'freeze', reason_codes: ['burst_large_txn'], original_token: 'h.p.s' } });
    expect(withMaskedMembers(stored(lift, { flag_jti: 'f1' }), source(true)).events).toEqual({ [lift]: { flag_jti: 'f1', reason_codes: ['burst_large_txn'], original_token: 'h.p.s' } });
    expect(withMaskedMembers(stored(retraction, { retracts_jti: 'f1' }), source(true)).events).toEqual({ [retraction]: { retracts_jti: 'f1', original_token: 'h.p.s' } });
    expect(withMaskedMembers(stored(flag, { action: 'freeze' }), { fullAccess: true, token: 'h.p.s', evidence: null, reasonCodes: null }).events).toEqual({ [flag]: { action: 'freeze', original_token: 'h.p.s' } });
  });

  it('leaves tier changes, control events and partner-addressed notices as they are', () => {
    const tier = { aud: 'a', sub_id: { format: 'opaque', id: SUBJECT }, events: { [TIER_CHANGED_URI]: { tier: 'warn', original_token: 'kept' } } };
    expect(partnerEventTypeOf(tier)).toBeNull();
    expect(withMaskedMembers(tier, source(false))).toBe(tier);
    expect(partnerEventTypeOf(stored())).toBe('RISK_SIGNAL');
    expect(partnerEventTypeOf({ aud: 'a' })).toBeNull();
  });

  it('maps tiers to CAEP levels as the profile says, and refuses an unknown tier', () => {
    expect(['NONE', 'MONITOR', 'WARN', 'RESTRICT', 'FREEZE'].map(caepLevelOf)).toEqual(['LOW', 'LOW', 'MEDIUM', 'HIGH', 'HIGH']);
    expect(() => caepLevelOf('PANIC')).toThrow('unknown tier "PANIC"');
    expect(caepLevelOf('warn')).toBe('MEDIUM');
  });

  const change = { subject: SUBJECT, previousTier: 'MONITOR', tier: 'WARN', score: 0.71, at: at(1_800_000_200) };

  it('writes a tier change natively and as CAEP risk-level-change, by what the stream requested', () => {
    const both = tierChangeClaims(change, [TIER_CHANGED_URI, CAEP_RISK_LEVEL_URI], 'aud-1', 's1');
    expect(both).toEqual([
      { eventType: TIER_CHANGED_URI, claims: { aud: 'aud-1', sub_id: { format: 'opaque', id: SUBJECT }, txn: 's1', events: { [TIER_CHANGED_URI]: { previous_tier: 'monitor', tier: 'warn', score: 0.71, changed_at: 1_800_000_200 } } } },
      {
        eventType: CAEP_RISK_LEVEL_URI,
        claims: {
          aud: 'aud-1', sub_id: { format: 'opaque', id: SUBJECT }, txn: 's1',
          events: { [CAEP_RISK_LEVEL_URI]: { principal: 'USER', current_level: 'MEDIUM', previous_level: 'LOW', risk_reason: 'risk-exchange merged score: tier monitor -> warn', event_timestamp: 1_800_000_200, initiating_entity: 'system' } },
        },
      },
    ]);
    expect(tierChangeClaims(change, [CAEP_RISK_LEVEL_URI], 'aud-1', null).map((n) => n.eventType)).toEqual([CAEP_RISK_LEVEL_URI]);
    expect(tierChangeClaims(change, ['urn:risk-exchange:event:risk-signal'], 'aud-1', null)).toEqual([]);
  });

  it('leaves txn out when no causing event is visible, and sends no CAEP event when the level stays', () => {
    const lowToLow = tierChangeClaims({ ...change, previousTier: 'NONE', tier: 'MONITOR' }, [TIER_CHANGED_URI, CAEP_RISK_LEVEL_URI], 'aud-1', null);
    expect(lowToLow).toHaveLength(1);
    expect(lowToLow[0].eventType).toBe(TIER_CHANGED_URI);
    expect(lowToLow[0].claims).not.toHaveProperty('txn');
  });

  it('lists every type the fan-out writes', () => {
    expect(FANOUT_EVENT_TYPES).toEqual([
      'urn:risk-exchange:event:risk-signal', 'urn:risk-exchange:event:account-flag', 'urn:risk-exchange:event:flag-lifted', 'urn:risk-exchange:event:retraction',
      TIER_CHANGED_URI, CAEP_RISK_LEVEL_URI,
    ]);
  });
});
