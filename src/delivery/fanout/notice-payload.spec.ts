import { awaitsEventClaims, CAEP_RISK_LEVEL_URI, caepLevelOf, DeliverableEvent, FANOUT_EVENT_TYPES, partnerEventClaims, TIER_CHANGED_URI, tierChangeClaims } from './notice-payload';

const at = (s: number) => new Date(s * 1000);
const SUBJECT = 'v1:subject-0001';

function event(over: Partial<DeliverableEvent> = {}): DeliverableEvent {
  return {
    id: '11111111-1111-4111-8111-111111111111', issuer: 'bank-a', jti: 's1', subject: SUBJECT, type: 'RISK_SIGNAL', category: 'cash_out', action: null,
    score: 0.8, confidence: 0.9, reasonCodes: ['burst_large_txn'], distribution: 'granted', observedAt: at(1_800_000_000), effectiveAt: null,
    expiresAt: at(1_815_552_000), evidence: { txn_count: 14 }, token: 'h.p.s', targetJti: null, details: null, ...over,
  };
}

describe('notice payload (profile section 5)', () => {
  it('delivers a risk signal with every profile field, the issuer, the event id and the original token under full access', () => {
    expect(partnerEventClaims(event(), 'https://shop.example/ssf', true)).toEqual({
      aud: 'https://shop.example/ssf',
      sub_id: { format: 'opaque', id: SUBJECT },
      txn: 's1',
      events: {
        'urn:risk-exchange:event:risk-signal': {
          category: 'cash_out', score: 0.8, confidence: 0.9, reason_codes: ['burst_large_txn'], observed_at: 1_800_000_000, expires_at: 1_815_552_000,
          distribution: 'granted', evidence: { txn_count: 14 }, issuer: 'bank-a', event_id: '11111111-1111-4111-8111-111111111111', original_token: 'h.p.s',
        },
      },
    });
  });

  it('leaves out evidence, reason codes and the original token without full access, and fields the event lacks', () => {
    const member = partnerEventClaims(event({ observedAt: null }), 'aud-1', false).events['urn:risk-exchange:event:risk-signal'];
    expect(member).toEqual({ category: 'cash_out', score: 0.8, confidence: 0.9, expires_at: 1_815_552_000, distribution: 'granted', issuer: 'bank-a', event_id: '11111111-1111-4111-8111-111111111111' });
  });

  it('delivers an account flag in its profile form', () => {
    const claims = partnerEventClaims(event({ type: 'ACCOUNT_FLAG', jti: 'f1', category: null, score: null, confidence: null, action: 'freeze', distribution: 'consortium', effectiveAt: at(1_800_000_100), expiresAt: null, evidence: null, observedAt: null }), 'aud-1', true);
    expect(claims.txn).toBe('f1');
    expect(claims.events).toEqual({
      'urn:risk-exchange:event:account-flag': { action: 'freeze', reason_codes: ['burst_large_txn'], effective_at: 1_800_000_100, distribution: 'consortium', issuer: 'bank-a', event_id: '11111111-1111-4111-8111-111111111111', original_token: 'h.p.s' },
    });
  });

  it('names the target of a correction: retracts_jti with the reason, flag_jti for a lift', () => {
    const bare = { category: null, score: null, confidence: null, distribution: 'consortium', observedAt: null, expiresAt: null, evidence: null, reasonCodes: null };
    const retraction = partnerEventClaims(event({ ...bare, type: 'RETRACTION', jti: 'r1', targetJti: 'f1', details: { reason: 'false_positive' } }), 'aud-1', false);
    expect(retraction.events).toEqual({ 'urn:risk-exchange:event:retraction': { retracts_jti: 'f1', reason: 'false_positive', issuer: 'bank-a', event_id: '11111111-1111-4111-8111-111111111111' } });
    const lift = partnerEventClaims(event({ ...bare, type: 'FLAG_LIFTED', jti: 'l1', targetJti: 'f1', reasonCodes: ['customer_verified'] }), 'aud-1', true);
    expect(lift.events).toEqual({ 'urn:risk-exchange:event:flag-lifted': { flag_jti: 'f1', reason_codes: ['customer_verified'], issuer: 'bank-a', event_id: '11111111-1111-4111-8111-111111111111', original_token: 'h.p.s' } });
  });

  it('carries the legal order of the gateway\'s own flag and lift (issuer @gateway), and never a partner\'s details', () => {
    const order = { legal_request_id: 'req-1', case_reference: 'AG Berlin 12 Js 345/26', authority: 'Amtsgericht Berlin' };
    const flag = { type: 'ACCOUNT_FLAG' as const, jti: 'g1', category: null, score: null, confidence: null, action: 'freeze', distribution: 'consortium', reasonCodes: ['legal_order'], observedAt: null, expiresAt: null, evidence: null };
    const gateway = partnerEventClaims(event({ ...flag, issuer: '@gateway', details: order }), 'aud-1', false);
    expect(gateway.events).toEqual({
      'urn:risk-exchange:event:account-flag': { action: 'freeze', distribution: 'consortium', ...order, issuer: '@gateway', event_id: '11111111-1111-4111-8111-111111111111' },
    });
    const lift = partnerEventClaims(event({ ...flag, type: 'FLAG_LIFTED', action: null, targetJti: 'g1', issuer: '@gateway', details: order }), 'aud-1', false);
    expect(lift.events['urn:risk-exchange:event:flag-lifted']).toEqual({ flag_jti: 'g1', legal_request_id: 'req-1', issuer: '@gateway', event_id: '11111111-1111-4111-8111-111111111111' });
    // A partner flag with the same details: nothing copied.
    expect(partnerEventClaims(event({ ...flag, details: order }), 'aud-1', false).events['urn:risk-exchange:event:account-flag']).toEqual({ action: 'freeze', distribution: 'consortium', issuer: 'bank-a', event_id: '11111111-1111-4111-8111-111111111111' });
  });

  it('tells a stored partner event notice (no `events` yet: built at signing) from one stored whole', () => {
    expect(awaitsEventClaims({ aud: 'aud-1', sub_id: { format: 'opaque', id: SUBJECT }, txn: 's1' })).toBe(true);
    expect(awaitsEventClaims(partnerEventClaims(event(), 'aud-1', false) as unknown as Record<string, unknown>)).toBe(false);
    expect(awaitsEventClaims({ aud: 'aud-1', events: { [TIER_CHANGED_URI]: {} } })).toBe(false);
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
