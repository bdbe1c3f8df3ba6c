import { DataSource } from 'typeorm';
import { codeOf, TestDatabase, TestGateway } from './support/app';
import { assertion, TestKey } from './support/keys';
import { makeSet, signal } from './support/sets';

// Issue 12: bugs that mutation testing showed the suite let through, each caught here over HTTP
// against the real app (the pure rules have unit specs beside their code).
const PUBLISH = 'mutation($t: [String!]!) { publishEvents(tokens: $t) { index jti status eventId code description } }';
const SCORE = 'query($s: String!) { riskScore(subject: $s) { score tier activeFlags { action } } }';

describe('issue 12 regressions (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let ds: DataSource;
  const keys: Record<string, TestKey> = {};

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0' });
    ds = gw.app.get(DataSource);
    keys['bank-a'] = await gw.registerPartner('bank-a', 'BANK');
    keys['shop-b'] = await gw.registerPartner('shop-b', 'ECOMMERCE');
    keys['scorer-c'] = await gw.registerPartner('scorer-c', 'INTERNAL_SCORER');
    keys['court-d'] = await gw.registerPartner('court-d', 'LEGAL');
    keys['bank-v'] = await gw.registerPartner('bank-v', 'BANK');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  const as = (p: string, q: string, v: Record<string, unknown> = {}) => gw.as(p, keys[p], q, v);
  const nowS = () => Math.floor(Date.now() / 1000);

  it('refuses a memoised assertion once it has expired (60 s tolerance included), not only when it leaves the memo', async () => {
    // Expired 58 s ago: still inside the 60 s tolerance for about two seconds.
    const exp = nowS() - 58;
    const token = await assertion(keys['bank-a'], 'bank-a', { iat: exp - 120, exp });
    const first = await gw.gql('{ me { id } }', {}, token);
    expect(first).toEqual({ status: 200, data: { me: { id: 'bank-a' } }, errors: undefined });
    // Now it is verified and memoised; wait until it is past exp + 60 s.
    while (nowS() <= exp + 60) await new Promise((r) => setTimeout(r, 100));
    const again = await gw.gql('{ me { id } }', {}, token);
    expect(again.status).toBe(401);
    expect(codeOf(again)).toBe('UNAUTHENTICATED');
    expect(again.errors![0].message).toBe('authentication failed (exp): assertion has expired (exp)');
    expect(again.data).toBeNull();
    // A fresh assertion of the same partner still works.
    expect((await as('bank-a', '{ me { id } }')).data).toEqual({ me: { id: 'bank-a' } });
  });

  it('stores one token sent twice in one batch once: ACCEPTED then DUPLICATE of the same id, and audits 1 + 1', async () => {
    const k = keys['bank-a'];
    const token = await signal(k, 'bank-a', { distribution: 'consortium' }, { jti: 'batch-dup-1' });
    const res = await as('bank-a', PUBLISH, { t: [token, token] });
    expect(res.errors).toBeUndefined();
    const [a, b] = res.data!.publishEvents;
    expect(a).toEqual({ index: 0, jti: 'batch-dup-1', status: 'ACCEPTED', eventId: expect.stringMatching(/^[0-9a-f-]{36}$/), code: null, description: null });
    expect(b).toEqual({ index: 1, jti: 'batch-dup-1', status: 'DUPLICATE', eventId: a.eventId, code: null, description: null });
    expect(await ds.query(`SELECT id FROM event WHERE issuer = 'bank-a' AND jti = 'batch-dup-1'`)).toEqual([{ id: a.eventId }]);
    const audit = await gw.asOperator('{ auditLog(filter: { action: "events.publish", actor: "bank-a" }, first: 1) { edges { node { details } } } }');
    expect(JSON.parse(audit.data!.auditLog.edges[0].node.details)).toEqual({ outcome: 'ok', accepted: 1, duplicate: 1, rejected: 0, accepted_jtis: ['batch-dup-1'] });

    // Same jti, other bytes, in one batch: the second is a reused jti.
    const one = await signal(k, 'bank-a', { score: 0.3 }, { jti: 'batch-dup-2' });
    const other = await signal(k, 'bank-a', { score: 0.4 }, { jti: 'batch-dup-2' });
    const mixed = (await as('bank-a', PUBLISH, { t: [one, other] })).data!.publishEvents;
    expect(mixed.map((r: any) => [r.status, r.code])).toEqual([['ACCEPTED', null], ['REJECTED', 'invalid_request']]);
    expect(mixed[1]).toMatchObject({ eventId: null, description: 'jti reused: "batch-dup-2" was already published with other claims (sub_id, txn or events)' });
    expect(await ds.query(`SELECT count(*)::int AS n FROM event WHERE jti = 'batch-dup-2'`)).toEqual([{ n: 1 }]);
    // The stored event reads back.
    expect((await as('bank-a', 'query($id: ID!) { event(id: $id) { jti score } }', { id: a.eventId })).data).toEqual({ event: { jti: 'batch-dup-1', score: 0.8 } });
  });

  it('raises a subject to RESTRICT on a freeze or close flag from a BANK only', async () => {
    const subject = 'v1:floor-subject-0001';
    const flag = (p: string, action: string) => makeSet(keys[p], p, 'account-flag', { action }, { subject });
    for (const [p, action] of [['shop-b', 'freeze'], ['shop-b', 'close'], ['scorer-c', 'freeze'], ['scorer-c', 'close'], ['court-d', 'freeze']]) {
      const r = await as(p, PUBLISH, { t: [await flag(p, action)] });
      expect(r.data!.publishEvents[0].status).toBe('ACCEPTED');
    }
    const before = await as('bank-v', SCORE, { s: subject });
    expect(before.errors).toBeUndefined();
    // The viewer sees all five (consortium); none of them lifts the tier.
    expect(before.data!.riskScore).toEqual({ score: 0, tier: 'NONE', activeFlags: expect.any(Array) });
    expect(before.data!.riskScore.activeFlags.map((f: { action: string }) => f.action).sort()).toEqual(['close', 'close', 'freeze', 'freeze', 'freeze']);
    // A bank's restrict does not lift it either; its freeze does.
    expect((await as('bank-a', PUBLISH, { t: [await flag('bank-a', 'restrict')] })).data!.publishEvents[0].status).toBe('ACCEPTED');
    expect((await as('bank-v', SCORE, { s: subject })).data!.riskScore).toMatchObject({ score: 0, tier: 'NONE' });
    expect((await as('bank-a', PUBLISH, { t: [await flag('bank-a', 'close')] })).data!.publishEvents[0].status).toBe('ACCEPTED');
    expect((await as('bank-v', SCORE, { s: subject })).data!.riskScore).toMatchObject({ score: 0, tier: 'RESTRICT' });
  });
});
