import { DataSource } from 'typeorm';
import { codeOf, TestDatabase, TestGateway } from './support/app';
import { TestKey } from './support/keys';
import { makeSet, signal, SUBJECT } from './support/sets';

const PUBLISH = 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status eventId code description } }';
const SIGNALS = 'query($s: String!, $inactive: Boolean) { signals(subject: $s, includeInactive: $inactive, first: 100) { edges { node { id jti issuer category evidence token reasonCodes redactedFields status } } } }';
const FLAGS = 'query($s: String!, $inactive: Boolean) { flags(subject: $s, includeInactive: $inactive) { edges { node { id jti action status redactedFields } } } }';
const EVENT = 'query($id: ID!) { event(id: $id) { id jti type evidence token reasonCodes redactedFields } }';
const GRANT = 'mutation($i: GrantAccessInput!) { grantAccess(input: $i) { id grantor grantee categories includeEvidence active } }';
const inAYear = () => new Date(Date.now() + 365 * 86_400_000).toISOString();

describe('sharing: distribution, grants, masking (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let ds: DataSource;
  const keys: Record<string, TestKey> = {};
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0' });
    ds = gw.app.get(DataSource);
    for (const [id, kind] of [['bank-a', 'BANK'], ['shop-b', 'ECOMMERCE'], ['scorer-c', 'INTERNAL_SCORER'], ['court-d', 'LEGAL'], ['bank-e', 'BANK']]) keys[id] = await gw.registerPartner(id, kind);
    const k = keys['bank-a'];
    const tokens: Array<[string, string]> = [
      ['s1', await signal(k, 'bank-a', { category: 'cash_out', distribution: 'consortium' }, { jti: 's1' })],
      ['s2', await signal(k, 'bank-a', { category: 'high_velocity', distribution: 'granted' }, { jti: 's2' })],
      ['s3', await signal(k, 'bank-a', { category: 'merchant_collusion', distribution: 'issuer_only' }, { jti: 's3' })],
      ['s4', await signal(k, 'bank-a', { category: 'cash_out', distribution: 'granted' }, { jti: 's4' })],
      ['f1', await makeSet(k, 'bank-a', 'account-flag', { action: 'freeze' }, { jti: 'f1' })],
    ];
    const res = await as('bank-a', PUBLISH, { t: tokens.map(([, t]) => t) });
    res.data!.publishEvents.forEach((r: any, i: number) => (ids[tokens[i][0]] = r.eventId));
    const retr = await as('bank-a', PUBLISH, { t: [await makeSet(k, 'bank-a', 'retraction', { retracts_jti: 's4', reason: 'superseded' }, { jti: 'r4' })] });
    ids.r4 = retr.data!.publishEvents[0].eventId;
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  function as(partner: string, query: string, variables: Record<string, unknown> = {}) {
    return gw.as(partner, keys[partner], query, variables);
  }
  const jtis = (res: any) => res.data.signals.edges.map((e: any) => e.node.jti).sort();

  it('shows the issuer all of its own events, unmasked', async () => {
    const res = await as('bank-a', SIGNALS, { s: SUBJECT, inactive: true });
    expect(jtis(res)).toEqual(['s1', 's2', 's3', 's4']);
    for (const e of res.data!.signals.edges) expect(e.node).toMatchObject({ redactedFields: [], token: expect.any(String), evidence: expect.any(String) });
  });

  it('shows consortium events to sharing kinds, masked without a grant', async () => {
    for (const viewer of ['shop-b', 'scorer-c', 'bank-e']) {
      const res = await as(viewer, SIGNALS, { s: SUBJECT });
      expect(jtis(res)).toEqual(['s1']);
      expect(res.data!.signals.edges[0].node).toMatchObject({ evidence: null, token: null, reasonCodes: null, redactedFields: ['evidence', 'token', 'reasonCodes'] });
    }
    expect((await as('shop-b', FLAGS, { s: SUBJECT })).data!.flags.edges.map((e: any) => e.node.jti)).toEqual(['f1']);
  });

  it('never shows LEGAL or OPERATOR partners events through distribution', async () => {
    expect(codeOf(await as('court-d', SIGNALS, { s: SUBJECT }))).toBe('FORBIDDEN');
    expect((await as('court-d', EVENT, { id: ids.s1 })).data).toEqual({ event: null });
    expect(codeOf(await gw.asOperator(SIGNALS, { s: SUBJECT }))).toBe('FORBIDDEN');
    expect((await gw.asOperator(EVENT, { id: ids.s1 })).data).toEqual({ event: null });
    expect((await as('shop-b', EVENT, { id: ids.s1 })).data!.event.jti).toBe('s1');
  });

  it('a grant opens `granted` events of its categories; includeEvidence unmasks them', async () => {
    expect((await as('shop-b', EVENT, { id: ids.s2 })).data).toEqual({ event: null });
    const g = await as('bank-a', GRANT, { i: { grantee: 'shop-b', categories: ['high_velocity'], includeEvidence: false, expiresAt: inAYear(), purpose: 'joint cash-out investigation' } });
    expect(g.data!.grantAccess).toMatchObject({ grantor: 'bank-a', grantee: 'shop-b', categories: ['high_velocity'], active: true });
    const seen = await as('shop-b', SIGNALS, { s: SUBJECT });
    expect(jtis(seen)).toEqual(['s1', 's2']);
    expect(seen.data!.signals.edges.find((e: any) => e.node.jti === 's2').node.redactedFields).toEqual(['evidence', 'token', 'reasonCodes']);
    // Evidence: hidden without includeEvidence (above), shown with it.
    await as('bank-a', GRANT, { i: { grantee: 'shop-b', categories: ['cash_out'], includeEvidence: true, expiresAt: inAYear(), purpose: 'evidence exchange' } });
    const full = (await as('shop-b', EVENT, { id: ids.s1 })).data!.event;
    expect(full).toMatchObject({ redactedFields: [], evidence: '{"txn_count":14}', reasonCodes: ['burst_large_txn'], token: expect.stringMatching(/^ey/) });
    // Never issuer_only, and never for another partner.
    expect(jtis(await as('shop-b', SIGNALS, { s: SUBJECT }))).toEqual(['s1', 's2']);
    expect(jtis(await as('scorer-c', SIGNALS, { s: SUBJECT }))).toEqual(['s1']);
    expect((await as('scorer-c', EVENT, { id: ids.s1 })).data!.event.redactedFields).toHaveLength(3);
  });

  it('a retraction follows the event it retracts', async () => {
    // shop-b holds a cash_out grant now: s4 (retracted) and its retraction are visible.
    expect(jtis(await as('shop-b', SIGNALS, { s: SUBJECT, inactive: true }))).toEqual(['s1', 's2', 's4']);
    expect((await as('shop-b', EVENT, { id: ids.r4 })).data!.event).toMatchObject({ jti: 'r4', type: 'RETRACTION' });
    expect((await as('scorer-c', EVENT, { id: ids.r4 })).data).toEqual({ event: null });
    expect((await as('bank-a', EVENT, { id: ids.r4 })).data!.event.jti).toBe('r4');
  });

  it('a revoked or expired grant stops access on the next request', async () => {
    const given = await as('bank-a', '{ grantsGiven { edges { node { id categories active } } } }');
    const hv = given.data!.grantsGiven.edges.find((e: any) => e.node.categories[0] === 'high_velocity').node;
    const revoked = await as('bank-a', 'mutation($id: ID!) { revokeGrant(id: $id) { active revokedAt } }', { id: hv.id });
    expect(revoked.data!.revokeGrant.active).toBe(false);
    expect(jtis(await as('shop-b', SIGNALS, { s: SUBJECT }))).toEqual(['s1']);
    expect((await as('shop-b', EVENT, { id: ids.s2 })).data).toEqual({ event: null });
    // Expire the evidence grant in the database: the very next read is masked.
    await ds.query(`UPDATE "grant" SET expires_at = now() - interval '1 second' WHERE grantee = 'shop-b' AND revoked_at IS NULL`);
    expect((await as('shop-b', EVENT, { id: ids.s1 })).data!.event.redactedFields).toHaveLength(3);
    expect(codeOf(await as('bank-a', 'mutation($id: ID!) { revokeGrant(id: $id) { active } }', { id: hv.id }))).toBe('CONFLICT');
  });

  it('validates grants, naming the problem', async () => {
    const base = { grantee: 'shop-b', categories: ['cash_out'], includeEvidence: false, expiresAt: inAYear(), purpose: 'x' };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ grantee: 'court-d' }, /LEGAL partners see data only through approved legal requests/],
      [{ grantee: 'bank-a' }, /another partner/],
      [{ grantee: 'nobody' }, /not an active partner/],
      [{ categories: ['bad_vibes'] }, /categories must be/],
      [{ categories: [] }, /categories must be/],
      [{ expiresAt: new Date(Date.now() - 1000).toISOString() }, /in the future/],
      [{ expiresAt: new Date(Date.now() + 800 * 86_400_000).toISOString() }, /at most 730 days/],
      [{ purpose: '   ' }, /purpose/],
    ];
    for (const [patch, message] of cases) {
      const res = await as('bank-a', GRANT, { i: { ...base, ...patch } });
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(res.errors![0].message).toMatch(message);
    }
    expect(codeOf(await as('court-d', GRANT, { i: base }))).toBe('FORBIDDEN');
    expect((await as('bank-a', GRANT, { i: base })).data!.grantAccess.active).toBe(true);
  });

  it("BOLA: other partners' grant and event ids behave as unknown", async () => {
    const theirs = (await as('bank-a', '{ grantsGiven(first: 1) { edges { node { id } } } }')).data!.grantsGiven.edges[0].node.id;
    const res = await as('bank-e', 'mutation($id: ID!) { revokeGrant(id: $id) { id } }', { id: theirs });
    expect(codeOf(res)).toBe('NOT_FOUND');
    expect(codeOf(await as('bank-e', 'mutation($id: ID!) { revokeGrant(id: $id) { id } }', { id: '00000000-0000-4000-8000-000000000000' }))).toBe('NOT_FOUND');
    expect(res.errors![0].message).toBe(`no grant "${theirs}" given by you`);
    expect((await as('bank-e', EVENT, { id: ids.s3 })).data).toEqual({ event: null });
    expect((await as('bank-a', '{ grantsGiven(first: 1) { edges { node { id active } } } }')).data!.grantsGiven.edges[0].node).toEqual({ id: theirs, active: true });
  });

  it('lists grants given, received, and all (operator)', async () => {
    const received = await as('shop-b', '{ grantsReceived(first: 100) { edges { node { grantor grantee } } } }');
    const ds = gw.app.get(DataSource);
    const [{ mine, total }] = await ds.query(`SELECT count(*) FILTER (WHERE grantee = 'shop-b')::int AS mine, count(*)::int AS total FROM "grant"`);
    expect(mine).toBeGreaterThanOrEqual(3);
    expect(received.data!.grantsReceived.edges.length).toBe(mine);
    expect(received.data!.grantsReceived.edges.every((e: any) => e.node.grantee === 'shop-b')).toBe(true);
    const all = await gw.asOperator('{ grants(first: 100) { edges { node { id } } } }');
    expect(all.data!.grants.edges.length).toBe(total);
    expect(codeOf(await as('shop-b', '{ grants { edges { node { id } } } }'))).toBe('FORBIDDEN');
  });

  it('records cross-partner reads, one entry per request, visible to the owner', async () => {
    await as('scorer-c', SIGNALS, { s: SUBJECT });
    const [entry] = await ds.query(`SELECT actor, details, concerns FROM audit_log WHERE action = 'events.read' AND actor = 'scorer-c' ORDER BY seq DESC LIMIT 1`);
    expect(entry).toEqual({ actor: 'scorer-c', details: { items: { 'bank-a': [ids.s1] } }, concerns: ['bank-a'] });
    const trail = await as('bank-a', '{ myAuditTrail(filter: { action: "events.read", actor: "scorer-c" }) { edges { node { actor details } } } }');
    expect(trail.data!.myAuditTrail.edges.length).toBeGreaterThan(0);
    // Reading only your own events is not recorded as a cross-partner read.
    const before = await ds.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'events.read' AND actor = 'bank-a'`);
    await as('bank-a', SIGNALS, { s: SUBJECT });
    expect(await ds.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'events.read' AND actor = 'bank-a'`)).toEqual(before);
  });
});
