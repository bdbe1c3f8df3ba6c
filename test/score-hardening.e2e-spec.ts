// Issue 10, findings 1-3: bounded score reads, hidden events described only as withheld, and
// give-to-get on every read of partner-derived data (riskScoreHistory included).
import { codeOf, TestDatabase, TestGateway } from './support/app';
import { TestKey } from './support/keys';
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
});
