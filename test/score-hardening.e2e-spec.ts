// Issue 10, findings 1-3: bounded score reads, hidden events described only as withheld, and
// give-to-get on every read of partner-derived data (riskScoreHistory included).
import { codeOf, TestDatabase, TestGateway } from './support/app';
import { makeKey, jwksOf, TestKey } from './support/keys';
import { makeSet, signal } from './support/sets';

const PUBLISH = 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status eventId description } }';
const HISTORY = 'query($s: String!) { riskScoreHistory(subject: $s) { edges { node { previousTier tier score causedBy withheldCauses } } } }';
const WORDS = 'query($s: String!) { riskScore(subject: $s) { tier rationale recommendedAction withheld { count } activeFlags { id } contributions { eventId } } }';
const FLAGGED = 'v1:subject-with-many-flags';
const FLAG_COUNT = 700; // 100 copies × 700 flags was over PostgreSQL's 65,535 bind parameters

describe('score hardening (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  const keys: Record<string, TestKey> = {};
  const flagIds: string[] = [];

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { GIVE_TO_GET_MIN_EVENTS: 'ECOMMERCE=1', AUDIT_CHECKPOINT_SECONDS: '0', GRAPHQL_MAX_COST: '5000' });
    keys['bank-a'] = await gw.registerPartner('bank-a', 'BANK');
    keys['bank-c'] = await gw.registerPartner('bank-c', 'BANK');
    keys['shop-b'] = await gw.registerPartner('shop-b', 'ECOMMERCE');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  const as = (p: string, q: string, v: Record<string, unknown> = {}) => gw.as(p, keys[p], q, v);
  const publish = async (p: string, tokens: string[]) => {
    const res = await as(p, PUBLISH, { t: tokens });
    expect(res.errors).toBeUndefined();
    expect(res.data!.publishEvents.map((r: any) => r.status)).toEqual(tokens.map(() => 'ACCEPTED'));
    return res.data!.publishEvents.map((r: any) => r.eventId) as string[];
  };

  describe('finding 3: give-to-get on every read of partner-derived data', () => {
    it('refuses riskScoreHistory (like riskScore and signals) to a partner that has not contributed, then serves it', async () => {
      const subject = 'v1:subject-for-give-to-get';
      const [cause] = await publish('bank-a', [await signal(keys['bank-a'], 'bank-a', { category: 'cash_out', score: 0.9, confidence: 0.9, distribution: 'consortium' }, { subject })]);
      for (const query of [HISTORY, WORDS, 'query($s: String!) { signals(subject: $s) { edges { node { id } } } }']) {
        const refused = await as('shop-b', query, { s: subject });
        expect(codeOf(refused)).toBe('CONTRIBUTION_REQUIRED');
        expect(refused.data).toBeNull();
        expect(refused.errors![0].message).toMatch(/publish at least 1 events in 30 days/);
      }
      // Not the kinds the rule does not name, and not a kind that lacks the permission (FORBIDDEN first).
      expect((await as('bank-c', HISTORY, { s: subject })).data!.riskScoreHistory.edges).toHaveLength(1);
      const court = await gw.registerPartner('court-d', 'LEGAL');
      expect(codeOf(await gw.as('court-d', court, HISTORY, { s: subject }))).toBe('FORBIDDEN');
      // Positive path: once shop-b has published, it reads the history.
      await publish('shop-b', [await signal(keys['shop-b'], 'shop-b', { category: 'other', score: 0.1 }, { subject: 'v1:shop-b-own-subject' })]);
      const served = await as('shop-b', HISTORY, { s: subject });
      expect(served.errors).toBeUndefined();
      expect(served.data!.riskScoreHistory.edges).toEqual([{ node: { previousTier: 'NONE', tier: 'MONITOR', score: expect.any(Number), causedBy: [cause], withheldCauses: 0 } }]);
    });
  });

  describe('finding 2: hidden events are described only as withheld', () => {
    const HIDDEN = 'v1:subject-with-a-hidden-flag';
    const NAMES = /bank|frozen|closed|freez|close|account_flag|issuer_only|bank-a|cash_out/i;

    it("never names an issuer_only bank flag in the rationale, action or history, though the tier counts it", async () => {
      const [flag] = await publish('bank-a', [await makeSet(keys['bank-a'], 'bank-a', 'account-flag', { action: 'freeze', distribution: 'issuer_only' }, { subject: HIDDEN })]);
      const one = (await as('bank-c', WORDS, { s: HIDDEN })).data!.riskScore;
      expect(one).toEqual({
        tier: 'RESTRICT',
        rationale: ['merged score 0.000 is in NONE', 'withheld events raise the tier to at least RESTRICT'],
        recommendedAction: 'Restrict the credit line (lower the limit, block cash-like merchants) pending review.',
        withheld: { count: 0 },
        activeFlags: [],
        contributions: [],
      });
      expect(JSON.stringify(one)).not.toMatch(NAMES);
      const many = (await as('bank-c', 'query($s: [String!]!) { riskScores(subjects: $s) { tier rationale recommendedAction } }', { s: [HIDDEN, HIDDEN] })).data!.riskScores;
      expect(many).toEqual([0, 1].map(() => ({ tier: one.tier, rationale: one.rationale, recommendedAction: one.recommendedAction })));
      const history = (await as('bank-c', HISTORY, { s: HIDDEN })).data!.riskScoreHistory.edges;
      expect(history).toEqual([{ node: { previousTier: 'NONE', tier: 'RESTRICT', score: 0, causedBy: [], withheldCauses: 1 } }]);
      expect(JSON.stringify(history)).not.toContain(flag);
      // Positive path: the issuer, who may see its flag, gets it described and listed.
      const own = (await as('bank-a', WORDS, { s: HIDDEN })).data!.riskScore;
      expect(own).toMatchObject({ tier: 'RESTRICT', rationale: ['merged score 0.000 is in NONE', 'a bank has frozen or closed the account: at least RESTRICT'], activeFlags: [{ id: flag }] });
      expect((await as('bank-a', HISTORY, { s: HIDDEN })).data!.riskScoreHistory.edges[0].node).toMatchObject({ causedBy: [flag], withheldCauses: 0 });
    });

    it('does not count hidden issuers among the corroborating partners a viewer is told of', async () => {
      const subject = 'v1:subject-corroborated-in-private';
      const strong = { category: 'money_mule', score: 1, confidence: 1 };
      await publish('bank-a', [await signal(keys['bank-a'], 'bank-a', { ...strong, distribution: 'issuer_only' }, { subject })]);
      await publish('shop-b', [await signal(keys['shop-b'], 'shop-b', { ...strong, distribution: 'issuer_only' }, { subject })]);
      const [own] = await publish('bank-c', [await signal(keys['bank-c'], 'bank-c', { ...strong, distribution: 'issuer_only' }, { subject })]);
      const Q = 'query($s: String!) { riskScore(subject: $s) { tier score corroboratingPartners rationale withheld { count } contributions { eventId } } }';
      const seen = (await as('bank-c', Q, { s: subject })).data!.riskScore;
      expect(seen).toMatchObject({ tier: 'FREEZE', corroboratingPartners: 1, withheld: { count: 2 }, contributions: [{ eventId: own }] });
      expect(seen.score).toBeCloseTo(0.875, 3);
      expect(seen.rationale[1]).toBe('first-time subject, but partners corroborate at a freeze-level score, withheld events among them: not capped');
      // Positive path: a viewer who may see all three is told of all three.
      const shared = { ...strong, category: 'identity_fraud', distribution: 'consortium' };
      await publish('bank-a', [await signal(keys['bank-a'], 'bank-a', shared, { subject })]);
      await publish('shop-b', [await signal(keys['shop-b'], 'shop-b', shared, { subject })]);
      const open = (await as('bank-c', Q, { s: subject })).data!.riskScore;
      expect(open).toMatchObject({ tier: 'FREEZE', corroboratingPartners: 3, withheld: { count: 2 } });
      expect(open.rationale[1]).toBe('first-time subject, but 3 partners corroborate at a freeze-level score: not capped');
    });
  });

  describe('finding 1: bounded score reads', () => {
    // Newest first: by received_at (one per batch, the batch's transaction time), then id descending.
    const newestFirst = () => [...[...flagIds.slice(500)].sort().reverse(), ...[...flagIds.slice(0, 500)].sort().reverse()];
    beforeAll(async () => {
      const tokens: string[] = [];
      for (let i = 0; i < FLAG_COUNT; i++) tokens.push(await makeSet(keys['bank-a'], 'bank-a', 'account-flag', { action: i === 0 ? 'freeze' : 'warn', distribution: 'consortium' }, { subject: FLAGGED }));
      for (let i = 0; i < tokens.length; i += 500) flagIds.push(...(await publish('bank-a', tokens.slice(i, i + 500))));
    });

    it('scores 100 copies of a subject with 700 flags (once), and loads no flag unless asked', async () => {
      const many = await as('bank-c', 'query($s: [String!]!) { riskScores(subjects: $s) { subject tier rationale } }', { s: Array.from({ length: 100 }, () => FLAGGED) });
      expect(many.errors).toBeUndefined();
      expect(many.data!.riskScores).toHaveLength(100);
      for (const r of many.data!.riskScores) expect(r).toEqual({ subject: FLAGGED, tier: 'RESTRICT', rationale: ['merged score 0.000 is in NONE', 'a bank has frozen or closed the account: at least RESTRICT'] });
      const withFlags = await as('bank-c', 'query($s: [String!]!) { riskScores(subjects: $s) { subject activeFlags(first: 3) { id } } }', { s: [FLAGGED, FLAGGED, 'v1:nobody-here'] });
      expect(withFlags.errors).toBeUndefined();
      const newest = newestFirst().slice(0, 3);
      expect(withFlags.data!.riskScores.map((r: any) => r.activeFlags.map((f: any) => f.id))).toEqual([newest, newest, []]);
    });

    it('pages activeFlags with first/after, newest first, and refuses a page too large or a foreign cursor', async () => {
      const PAGE = 'query($s: String!, $n: Int, $a: ID) { riskScore(subject: $s) { activeFlags(first: $n, after: $a) { id action } } }';
      const page = async (n?: number, a?: string) => (await as('bank-c', PAGE, { s: FLAGGED, n, a })).data!.riskScore.activeFlags.map((f: any) => f.id) as string[];
      expect(await page()).toHaveLength(20);
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const ids = await page(100, after);
        seen.push(...ids);
        if (ids.length < 100) break;
        after = ids[ids.length - 1];
      }
      expect(seen).toHaveLength(FLAG_COUNT);
      expect(new Set(seen).size).toBe(FLAG_COUNT);
      expect([...seen].sort()).toEqual([...flagIds].sort());
      expect(codeOf(await as('bank-c', PAGE, { s: FLAGGED, n: 101 }))).toBe('BAD_USER_INPUT');
      const hidden = await as('bank-c', PAGE, { s: 'v1:subject-with-a-hidden-flag', a: flagIds[5] });
      expect(codeOf(hidden)).toBe('BAD_USER_INPUT'); // a flag of another subject is no cursor here
      expect(codeOf(await as('bank-c', PAGE, { s: FLAGGED, a: 'not-a-uuid' }))).toBe('BAD_USER_INPUT');
      expect(seen).toEqual(newestFirst());
      expect(await page(2, seen[0])).toEqual(seen.slice(1, 3));
    });

    it('pages contributions with first/after', async () => {
      const subject = 'v1:subject-with-three-contributions';
      const ids = await publish('bank-a', await Promise.all(['cash_out', 'money_mule', 'other'].map((category, i) => signal(keys['bank-a'], 'bank-a', { category, score: 0.9 - 0.2 * i, confidence: 1, distribution: 'consortium' }, { subject }))));
      const Q = 'query($s: String!, $n: Int, $a: ID) { riskScore(subject: $s) { contributions(first: $n, after: $a) { eventId } } }';
      const page = async (n?: number, a?: string) => (await as('bank-c', Q, { s: subject, n, a })).data!.riskScore.contributions.map((c: any) => c.eventId);
      expect(await page()).toEqual(ids);
      expect(await page(2)).toEqual(ids.slice(0, 2));
      expect(await page(2, ids[1])).toEqual(ids.slice(2));
      expect(codeOf(await as('bank-c', Q, { s: subject, a: flagIds[0] }))).toBe('BAD_USER_INPUT');
      expect(codeOf(await as('bank-c', Q, { s: subject, n: 0 }))).toBe('BAD_USER_INPUT');
      expect(await page(1, ids[0])).toEqual([ids[1]]);
    });

    it('costs activeFlags and contributions by their page size', async () => {
      const subjects = Array.from({ length: 100 }, () => FLAGGED);
      const big = await as('bank-c', 'query($s: [String!]!) { riskScores(subjects: $s) { activeFlags { id action issuer } } }', { s: subjects });
      expect(codeOf(big)).toBe('QUERY_TOO_COMPLEX');
      const bigContributions = await as('bank-c', 'query($s: [String!]!) { riskScores(subjects: $s) { contributions { eventId issuer category } } }', { s: subjects });
      expect(codeOf(bigContributions)).toBe('QUERY_TOO_COMPLEX');
      const small = await as('bank-c', 'query($s: [String!]!) { riskScores(subjects: $s) { activeFlags(first: 5) { id action issuer } } }', { s: subjects });
      expect(small.errors).toBeUndefined();
      expect(small.data!.riskScores[99].activeFlags).toHaveLength(5);
    });

    it("pages a partner's keys with first/after", async () => {
      const second = await makeKey('bank-c-k2');
      const added = await as('bank-c', 'mutation($p: ID!, $jwk: String!) { addPartnerKey(partnerId: $p, jwk: $jwk) { id } }', { p: 'bank-c', jwk: JSON.stringify(JSON.parse(jwksOf(second)).keys[0]) });
      expect(added.errors).toBeUndefined();
      const Q = 'query($n: Int, $a: String) { me { keys(first: $n, after: $a) { kid } } }';
      const kids = async (n?: number, a?: string) => (await as('bank-c', Q, { n, a })).data!.me.keys.map((k: any) => k.kid);
      expect(await kids()).toEqual(['bank-c-k1', 'bank-c-k2']);
      expect(await kids(1)).toEqual(['bank-c-k1']);
      expect(await kids(1, 'bank-c-k1')).toEqual(['bank-c-k2']);
      expect(await kids(1, 'bank-c-k2')).toEqual([]);
      expect(codeOf(await as('bank-c', Q, { a: 'bank-a-k1' }))).toBe('BAD_USER_INPUT'); // another partner's kid is no cursor
      expect(codeOf(await as('bank-c', Q, { n: 101 }))).toBe('BAD_USER_INPUT');
      expect(await kids(5, 'bank-c-k1')).toEqual(['bank-c-k2']);
    });
  });
});
