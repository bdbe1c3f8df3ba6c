import { decodeEvaluation, evaluationSql } from './evaluation-query';

const US = '\u001f';
const RS = '\u001e';
const rec = (...f: string[]) => f.join(US);

describe('evaluation query', () => {
  it('leaves the visibility sub-queries out when there is no viewer', () => {
    expect(evaluationSql(true, false)).toContain('"grant"');
    expect(evaluationSql(true, false)).toContain('$3::varchar');
    expect(evaluationSql(false, false)).not.toContain('"grant"');
    expect(evaluationSql(false, false)).not.toContain('$3');
  });

  it('cuts on received_at and status_changed_at only as of a past instant, never for now', () => {
    // Now (reads and update on write): no cut on timestamps another replica's clock wrote.
    for (const viewer of [true, false]) {
      expect(evaluationSql(viewer, false)).not.toMatch(/received_at|status_changed_at|h\.at <=/);
      expect(evaluationSql(viewer, false)).toContain(`e.status = 'ACTIVE'`);
    }
    expect(evaluationSql(true, true)).toContain('e.received_at <= $2');
    expect(evaluationSql(true, true)).toContain('e.status_changed_at > $2');
    expect(evaluationSql(true, true)).toContain('h.at <= $2');
  });

  it('asks only for the latest signal per issuer and category, and for flags only whether a bank froze or closed', () => {
    const sql = evaluationSql(true, false);
    expect(sql).toContain('DISTINCT ON (e.subject, e.issuer, e.category)');
    expect(sql).toContain('ORDER BY e.subject, e.issuer, e.category, e.issued_at DESC, e.id DESC');
    expect(sql).toMatch(/EXISTS \(SELECT 1 FROM event e WHERE e.subject = x.subject AND e.type = 'ACCOUNT_FLAG'/);
    expect(sql).not.toContain(`e.type = 'RISK_SIGNAL' OR`); // flags are never rows of the event list
  });

  it('decodes signals, the bank-freeze booleans and history per subject, and leaves out issuers that are not ACTIVE', () => {
    const answer = {
      events: [
        rec('id-1', 'v1:subject-a', 'bank-1', 'cash_out', '0.800000', '0.900000', '1700000000.5', '1700000001', 't', 't', '{burst,night}'),
        rec('id-2', 'v1:subject-a', 'shop-2', 'high_velocity', '0.500000', '', '1700000002', '1700000002', 'f', 'f', ''),
        rec('id-4', 'v1:subject-b', 'suspended-3', 'cash_out', '0.9', '1', '1700000004', '1700000004', 't', 't', '{}'),
      ].join(RS),
      flags: [rec('v1:subject-b', 'f', 't')].join(RS),
      issuers: [rec('bank-1', '0.900', 'BANK'), rec('shop-2', '1.000', 'ECOMMERCE')].join(RS),
      history: [rec('v1:subject-a', '1699990000', 'WARN'), rec('v1:subject-a', '1699999000', 'NONE')].join(RS),
    };
    const none = { visible: false, hidden: false };
    const out = decodeEvaluation(answer, ['v1:subject-a', 'v1:subject-b', 'v1:subject-c']);
    expect(out.get('v1:subject-a')).toEqual({
      signals: [
        { id: 'id-1', subject: 'v1:subject-a', issuer: 'bank-1', category: 'cash_out', score: 0.8, confidence: 0.9, trustWeight: 0.9, observed: 1700000000.5, issued: 1700000001, reasonCodes: ['burst', 'night'], visible: true, fullAccess: true },
        { id: 'id-2', subject: 'v1:subject-a', issuer: 'shop-2', category: 'high_velocity', score: 0.5, confidence: 1, trustWeight: 1, observed: 1700000002, issued: 1700000002, reasonCodes: null, visible: false, fullAccess: false },
      ],
      bankFreeze: none,
      legalFreeze: null,
      history: [
        { at: 1699990000, tier: 'WARN' },
        { at: 1699999000, tier: 'NONE' },
      ],
    });
    expect(out.get('v1:subject-b')).toEqual({ signals: [], bankFreeze: { visible: false, hidden: true }, legalFreeze: null, history: [] });
    expect(out.get('v1:subject-c')).toEqual({ signals: [], bankFreeze: none, legalFreeze: null, history: [] });
    expect(decodeEvaluation({ events: null, flags: null, issuers: null, history: null }, ['v1:subject-a']).get('v1:subject-a')).toEqual({ signals: [], bankFreeze: none, legalFreeze: null, history: [] });
  });

  it('asks in the same statement for the earliest standing gateway freeze flag per subject, whoever the viewer', () => {
    for (const [viewer, asOf] of [[true, false], [true, true], [false, false]]) {
      const sql = evaluationSql(viewer, asOf);
      expect(sql).toMatch(/e\.type = 'ACCOUNT_FLAG' AND e\.action = 'freeze' AND e\.issuer = '@gateway'/);
      expect(sql).toContain(`AS legal`);
    }
    // No partner lookup for the gateway's flag: @gateway is not a partner.
    expect(evaluationSql(false, false).split('AS legal')[0].split('SELECT DISTINCT ON (e.subject) e.subject')[1]).not.toContain('FROM partner');
  });

  it('decodes the legal freeze orders (JSON, since case references are free text) and fails closed on a malformed one', () => {
    const legal = JSON.stringify([['v1:subject-a', 'req-1', 'AG Berlin 12 Js 345/26 \u001e odd']]);
    const out = decodeEvaluation({ events: null, flags: null, issuers: null, history: null, legal }, ['v1:subject-a', 'v1:subject-b']);
    expect(out.get('v1:subject-a')!.legalFreeze).toEqual({ requestId: 'req-1', caseReference: 'AG Berlin 12 Js 345/26 \u001e odd' });
    expect(out.get('v1:subject-b')!.legalFreeze).toBeNull();
    expect(() => decodeEvaluation({ events: null, flags: null, issuers: null, history: null, legal: JSON.stringify([['v1:subject-a', 'req-1']]) }, ['v1:subject-a'])).toThrow('legal freeze records must be');
    expect(decodeEvaluation({ events: null, flags: null, issuers: null, history: null, legal: null }, ['v1:subject-a']).get('v1:subject-a')!.legalFreeze).toBeNull();
  });

  it('fails closed on a record with the wrong number of fields or a field that is not a number', () => {
    const issuers = rec('bank-1', '0.9', 'BANK');
    expect(() => decodeEvaluation({ events: rec('id-1', 'v1:subject-a', 'bank-1', 's'), flags: null, issuers, history: null }, ['v1:subject-a'])).toThrow('event record has 4 fields, not 11');
    expect(() => decodeEvaluation({ events: null, flags: rec('v1:subject-a', 't'), issuers, history: null }, ['v1:subject-a'])).toThrow('flag record has 2 fields, not 3');
    const bad = rec('id-1', 'v1:subject-a', 'bank-1', 'cash_out', 'NaN', '1', '1', '1', 't', 't', '');
    expect(() => decodeEvaluation({ events: bad, flags: null, issuers, history: null }, ['v1:subject-a'])).toThrow('score "NaN" is not a number');
  });
});
