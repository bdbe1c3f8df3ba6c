import { DataSource } from 'typeorm';
import { codeOf, TestDatabase, TestGateway } from './support/app';
import { TestKey } from './support/keys';
import { makeSet, signal, SUBJECT } from './support/sets';

const PUBLISH = 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status eventId description } }';
const SCORE = `query($s: String!, $asOf: DateTime) { riskScore(subject: $s, asOf: $asOf) {
  subject score tier recommendedAction rationale firstTime episodeCount corroboratingPartners
  contributions { eventId issuer category reasonCodes strength observedAt } withheld { count combinedStrength }
  activeFlags { id action redactedFields } computedAt asOf } }`;

describe('risk score and the decision ladder (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  const keys: Record<string, TestKey> = {};
  const marks: Record<string, string> = {};

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { EPISODE_COOLDOWN_DAYS: '0', AUDIT_CHECKPOINT_SECONDS: '0' });
    keys['bank-a'] = await gw.registerPartner('bank-a', 'BANK', undefined, 0.9);
    keys['shop-b'] = await gw.registerPartner('shop-b', 'ECOMMERCE', undefined, 0.8);
    keys['court-d'] = await gw.registerPartner('court-d', 'LEGAL');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  const as = (p: string, q: string, v: Record<string, unknown> = {}) => gw.as(p, keys[p], q, v);
  const publish = async (p: string, tokens: string[]) => {
    const res = await as(p, PUBLISH, { t: tokens });
    expect(res.data!.publishEvents.map((r: any) => r.status)).toEqual(tokens.map(() => 'ACCEPTED'));
    return res.data!.publishEvents.map((r: any) => r.eventId) as string[];
  };
  const score = async (p = 'shop-b', asOf?: string) => (await as(p, SCORE, { s: SUBJECT, asOf })).data!.riskScore;
  const pause = () => new Promise((r) => setTimeout(r, 20));

  it('walks a subject through a first-time WARN, recovery, and a repeat episode at FREEZE', async () => {
    marks.start = new Date().toISOString();
    await pause();
    expect(await score()).toMatchObject({ score: 0, tier: 'NONE', firstTime: true, episodeCount: 0 });

    // 1. One bank reports cash-out: the score is at RESTRICT level, but a first-timer only gets a warning.
    const [first] = await publish('bank-a', [await signal(keys['bank-a'], 'bank-a', { category: 'cash_out', score: 0.9, confidence: 0.9, distribution: 'consortium' }, { jti: 'first' })]);
    let s = await score();
    expect(s.score).toBeCloseTo(0.729, 3);
    expect(s).toMatchObject({ tier: 'WARN', firstTime: true, episodeCount: 1, corroboratingPartners: 1 });
    expect(s.rationale.join(' ')).toMatch(/first-time subject .*capped at WARN/);
    expect(s.contributions).toEqual([expect.objectContaining({ eventId: first, issuer: 'bank-a', category: 'cash_out', reasonCodes: null })]);
    await pause();
    marks.warned = new Date().toISOString();
    await pause();

    // 2. Recovery: the bank retracts; the score falls to NONE and the episode ends (cooldown 0 here).
    await publish('bank-a', [await makeSet(keys['bank-a'], 'bank-a', 'retraction', { retracts_jti: 'first', reason: 'superseded' })]);
    expect(await score()).toMatchObject({ score: 0, tier: 'NONE', firstTime: false, episodeCount: 1 });

    // 3. A repeat episode: the same evidence now raises the subject one tier, to FREEZE.
    await publish('bank-a', [await signal(keys['bank-a'], 'bank-a', { category: 'cash_out', score: 0.9, confidence: 0.9, distribution: 'consortium' }, { jti: 'second' })]);
    s = await score();
    expect(s).toMatchObject({ tier: 'FREEZE', firstTime: false, episodeCount: 2 });
    expect(s.rationale.join(' ')).toMatch(/repeat subject .*raised one tier to FREEZE/);
    expect(s.recommendedAction).toMatch(/Freeze/);

    const history = await as('shop-b', `{ riskScoreHistory(subject: "${SUBJECT}") { edges { node { previousTier tier causedBy } } } }`);
    expect(history.data!.riskScoreHistory.edges.map((e: any) => `${e.node.previousTier}>${e.node.tier}`)).toEqual(['NONE>FREEZE', 'WARN>NONE', 'NONE>WARN']);
    expect(history.data!.riskScoreHistory.edges[2].node.causedBy).toEqual([first]);
  });

  it('recomputes the score as it stood at a past instant (asOf)', async () => {
    expect(await score('shop-b', marks.start)).toMatchObject({ score: 0, tier: 'NONE' });
    const then = await score('shop-b', marks.warned);
    expect(then.score).toBeCloseTo(0.729, 3);
    expect(then).toMatchObject({ tier: 'WARN', asOf: marks.warned });
    expect(codeOf(await as('shop-b', SCORE, { s: SUBJECT, asOf: new Date(Date.now() + 3600_000).toISOString() }))).toBe('BAD_USER_INPUT');
  });

  it("withholds what the viewer may not see, but counts it", async () => {
    await publish('bank-a', [await signal(keys['bank-a'], 'bank-a', { category: 'high_velocity', score: 0.5, distribution: 'issuer_only' }, { jti: 'private' })]);
    const shop = await score('shop-b');
    expect(shop.withheld.count).toBe(1);
    expect(shop.withheld.combinedStrength).toBeGreaterThan(0.3);
    expect(shop.contributions.map((c: any) => c.category)).toEqual(['cash_out']);
    expect(JSON.stringify(shop)).not.toContain('high_velocity');
    const bank = await score('bank-a');
    expect(bank.withheld).toEqual({ count: 0, combinedStrength: 0 });
    expect(bank.contributions.map((c: any) => c.category).sort()).toEqual(['cash_out', 'high_velocity']);
    expect(bank.contributions.every((c: any) => Array.isArray(c.reasonCodes))).toBe(true);
    expect(bank.score).toBeCloseTo(shop.score, 5); // same signals; only a few ms of decay apart
  });

  it('puts a subject frozen or closed by a bank at RESTRICT or above, and shows the visible flag', async () => {
    const other = 'v1:another-subject-for-flags';
    const [flag] = await publish('bank-a', [await makeSet(keys['bank-a'], 'bank-a', 'account-flag', { action: 'freeze' }, { subject: other })]);
    const s = (await as('shop-b', SCORE, { s: other })).data!.riskScore;
    expect(s).toMatchObject({ score: 0, tier: 'RESTRICT', activeFlags: [{ id: flag, action: 'freeze', redactedFields: ['evidence', 'token', 'reasonCodes'] }] });
    expect(s.rationale.join(' ')).toMatch(/a bank has frozen or closed the account/);
  });

  it('scores up to 100 subjects at once, and refuses more', async () => {
    const many = await as('shop-b', 'query($s: [String!]!) { riskScores(subjects: $s) { subject tier } }', { s: [SUBJECT, 'v1:another-subject-for-flags', 'v1:nobody-at-all'] });
    expect(many.data!.riskScores.map((r: any) => r.tier)).toEqual(['FREEZE', 'RESTRICT', 'NONE']);
    const tooMany = await as('shop-b', 'query($s: [String!]!) { riskScores(subjects: $s) { tier } }', { s: Array.from({ length: 101 }, (_, i) => `v1:subject-${i}`) });
    expect(codeOf(tooMany)).toBe('BAD_USER_INPUT');
    expect(codeOf(await as('court-d', SCORE, { s: SUBJECT }))).toBe('FORBIDDEN');
  });

  it('shows reason codes through a grant with evidence, and drops a suspended issuer from the score', async () => {
    const subject = 'v1:subject-for-grant-and-suspension';
    const [granted] = await publish('bank-a', [await signal(keys['bank-a'], 'bank-a', { category: 'money_mule', score: 0.6, distribution: 'granted', reason_codes: ['mule_ring'] }, { subject })]);
    await publish('shop-b', [await signal(keys['shop-b'], 'shop-b', { category: 'cash_out', score: 0.5 }, { subject })]);
    const before = (await as('shop-b', SCORE, { s: subject })).data!.riskScore;
    expect(before.withheld.count).toBe(1);
    expect(before.contributions.map((c: any) => c.issuer)).toEqual(['shop-b']);
    const inAYear = new Date(Date.now() + 365 * 86_400_000).toISOString();
    const g = await as('bank-a', 'mutation($i: GrantAccessInput!) { grantAccess(input: $i) { id } }', { i: { grantee: 'shop-b', categories: ['money_mule'], includeEvidence: true, expiresAt: inAYear, purpose: 'mule ring review' } });
    expect(g.errors).toBeUndefined();
    const opened = (await as('shop-b', SCORE, { s: subject })).data!.riskScore;
    expect(opened.withheld).toEqual({ count: 0, combinedStrength: 0 });
    expect(opened.contributions.find((c: any) => c.eventId === granted)).toMatchObject({ issuer: 'bank-a', category: 'money_mule', reasonCodes: ['mule_ring'] });
    expect(opened.score).toBeCloseTo(before.score, 5);
    expect((await gw.asOperator('mutation($id: ID!) { suspendPartner(id: $id) { status } }', { id: 'bank-a' })).data!.suspendPartner.status).toBe('SUSPENDED');
    try {
      const after = (await as('shop-b', SCORE, { s: subject })).data!.riskScore;
      expect(after.contributions.map((c: any) => c.issuer)).toEqual(['shop-b']);
      expect(after.withheld.count).toBe(0);
      expect(after.score).toBeLessThan(before.score);
    } finally {
      await gw.asOperator('mutation($id: ID!) { reactivatePartner(id: $id) { status } }', { id: 'bank-a' });
    }
    expect((await as('shop-b', SCORE, { s: subject })).data!.riskScore.score).toBeCloseTo(before.score, 5);
  });

  it('keeps the stored score right when several issuers publish on one subject at once', async () => {
    const subject = 'v1:subject-under-concurrent-writes';
    const categories = ['cash_out', 'credit_arbitrage', 'merchant_collusion', 'money_mule', 'identity_fraud', 'account_takeover'];
    const writes: Array<Promise<unknown>> = [];
    for (const [i, category] of categories.entries()) {
      for (const p of ['bank-a', 'shop-b']) writes.push(publish(p, [await signal(keys[p], p, { category, score: 0.1 + 0.05 * i, confidence: 1, distribution: 'consortium' }, { subject })]));
    }
    await Promise.all(writes);
    const ds = gw.app.get(DataSource);
    const [stored] = await ds.query('SELECT score::float8 AS score, tier FROM subject_score WHERE subject = $1', [subject]);
    const read = (await as('bank-a', SCORE, { s: subject })).data!.riskScore;
    expect(read.contributions).toHaveLength(12); // every write counts in the read...
    expect(stored.score).toBeCloseTo(read.score, 5); // ...and in the stored score, whatever the commit order
    const history = await ds.query('SELECT previous_tier, tier FROM score_history WHERE subject = $1 ORDER BY at, id', [subject]);
    for (let i = 1; i < history.length; i++) expect(history[i].previous_tier).toBe(history[i - 1].tier); // an unbroken chain of changes
    expect(history[history.length - 1].tier).toBe(stored.tier);
  });

  it("counts an event another replica stamped with a clock ahead of ours, now but not as of before it", async () => {
    const subject = 'v1:subject-stamped-by-a-fast-clock';
    const [id] = await publish('bank-a', [await signal(keys['bank-a'], 'bank-a', { category: 'cash_out', score: 0.6, distribution: 'consortium' }, { subject })]);
    const ds = gw.app.get(DataSource);
    await ds.query(`UPDATE event SET received_at = now() + interval '1 hour' WHERE id = $1`, [id]); // as if written by a replica an hour ahead
    const now = (await as('shop-b', SCORE, { s: subject })).data!.riskScore;
    expect(now.contributions.map((c: any) => c.eventId)).toEqual([id]);
    const before = (await as('shop-b', SCORE, { s: subject, asOf: new Date(Date.now() - 1000).toISOString() })).data!.riskScore;
    expect(before.contributions).toEqual([]);
  });

  it('names in the tier history only the causes the viewer may see, counts the others, and audits the read', async () => {
    const subject = 'v1:subject-with-a-private-cause';
    const [hidden] = await publish('bank-a', [await signal(keys['bank-a'], 'bank-a', { category: 'identity_fraud', score: 0.9, confidence: 1, distribution: 'issuer_only' }, { subject })]);
    const HISTORY = `query($s: String!) { riskScoreHistory(subject: $s) { edges { node { tier causedBy withheldCauses } } } }`;
    const shop = (await as('shop-b', HISTORY, { s: subject })).data!.riskScoreHistory.edges;
    expect(shop).toEqual([{ node: { tier: 'WARN', causedBy: [], withheldCauses: 1 } }]);
    expect(JSON.stringify(shop)).not.toContain(hidden);
    const bank = (await as('bank-a', HISTORY, { s: subject })).data!.riskScoreHistory.edges;
    expect(bank).toEqual([{ node: { tier: 'WARN', causedBy: [hidden], withheldCauses: 0 } }]);
    // A visible cause of another issuer is a read of that issuer's data.
    const seen = (await as('shop-b', HISTORY, { s: SUBJECT })).data!.riskScoreHistory.edges;
    const named = seen.flatMap((e: any) => e.node.causedBy);
    expect(named.length).toBeGreaterThan(0);
    const [entry] = await gw.app.get(DataSource).query(`SELECT actor, details, concerns FROM audit_log WHERE action = 'scores.read' ORDER BY seq DESC LIMIT 1`);
    expect(entry).toMatchObject({ actor: 'shop-b', concerns: ['bank-a'], details: { history: true } });
    expect([...entry.details.items['bank-a']].sort()).toEqual([...new Set(named)].sort());
    expect(codeOf(await as('shop-b', HISTORY, { s: 'bad subject' }))).toBe('BAD_USER_INPUT');
  });

  it("audits every score read as a read of the contributing issuers' data", async () => {
    const ds = gw.app.get(DataSource);
    await score('shop-b');
    const [entry] = await ds.query(`SELECT actor, details, concerns FROM audit_log WHERE action = 'scores.read' ORDER BY seq DESC LIMIT 1`);
    expect(entry.actor).toBe('shop-b');
    expect(entry.concerns).toEqual(['bank-a']);
    expect(entry.details.items['bank-a'].length).toBeGreaterThanOrEqual(2);
  });
});
