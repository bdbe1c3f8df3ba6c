import { DataSource } from 'typeorm';
import { codeOf, TestDatabase, TestGateway } from './support/app';
import { assertion, TestKey } from './support/keys';
import { makeSet, signal, SUBJECT } from './support/sets';
import { RetentionService } from '../src/events/retention.service';

const PUBLISH = 'mutation($t: [String!]!) { publishEvents(tokens: $t) { index jti status eventId code description } }';
const EVENT = 'query($id: ID!) { event(id: $id) { id issuer jti subject type category score confidence reasonCodes distribution evidence token status statusChangedBy statusChangedAt expiresAt } }';

describe('signed events: publish, store, deduplicate (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let bank: TestKey;
  let shop: TestKey;
  let court: TestKey;

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { PUBLISH_MAX_BATCH: '60', RETENTION_DAYS: '0', RETENTION_INTERVAL_SECONDS: '0', AUDIT_CHECKPOINT_SECONDS: '0' });
    bank = await gw.registerPartner('bank-a', 'BANK');
    shop = await gw.registerPartner('shop-b', 'ECOMMERCE');
    court = await gw.registerPartner('court-c', 'LEGAL');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  const publish = (partner: string, key: TestKey, tokens: string[]) => gw.as(partner, key, PUBLISH, { t: tokens });

  it('stores a valid signal with its original token, byte for byte', async () => {
    const token = await signal(bank, 'bank-a', {}, { jti: 'sig-1', txn: 'case-1' });
    const res = await publish('bank-a', bank, [token]);
    expect(res.data!.publishEvents).toEqual([{ index: 0, jti: 'sig-1', status: 'ACCEPTED', eventId: expect.any(String), code: null, description: null }]);
    const ev = (await gw.as('bank-a', bank, EVENT, { id: res.data!.publishEvents[0].eventId })).data!.event;
    expect(ev).toMatchObject({ issuer: 'bank-a', jti: 'sig-1', subject: SUBJECT, type: 'RISK_SIGNAL', category: 'cash_out', score: 0.8, confidence: 0.9, reasonCodes: ['burst_large_txn'], distribution: 'granted', status: 'ACTIVE', token });
    expect(JSON.parse(ev.evidence)).toEqual({ txn_count: 14 });
    // cash_out default: exactly 180 days after iat.
    const { iat } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(new Date(ev.expiresAt).getTime()).toBe((iat + 180 * 86_400) * 1000);
  });

  it('answers DUPLICATE for the same bytes and refuses a reused jti with another token', async () => {
    const token = await signal(bank, 'bank-a', {}, { jti: 'sig-dup' });
    const first = (await publish('bank-a', bank, [token])).data!.publishEvents[0];
    const again = (await publish('bank-a', bank, [token, token])).data!.publishEvents;
    expect(again).toEqual([
      expect.objectContaining({ status: 'DUPLICATE', eventId: first.eventId }),
      expect.objectContaining({ status: 'DUPLICATE', eventId: first.eventId }),
    ]);
    const other = await signal(bank, 'bank-a', { score: 0.1 }, { jti: 'sig-dup' });
    const reused = (await publish('bank-a', bank, [other])).data!.publishEvents[0];
    expect(reused).toMatchObject({ status: 'REJECTED', code: 'invalid_request', eventId: null });
    expect(reused.description).toMatch(/jti reused/);
    const ds = gw.app.get(DataSource);
    expect(await ds.query(`SELECT count(*)::int AS n FROM event WHERE jti = 'sig-dup'`)).toEqual([{ n: 1 }]);
    // The same jti from another issuer is a different event.
    expect((await publish('shop-b', shop, [await signal(shop, 'shop-b', {}, { jti: 'sig-dup' })])).data!.publishEvents[0].status).toBe('ACCEPTED');
  });

  it('reports each token in order: valid ones stored, invalid ones refused with their code', async () => {
    const tokens = [
      await signal(bank, 'bank-a', {}, { jti: 'mix-1' }),
      'not-a-token',
      await signal(bank, 'bank-a', { score: 2 }, { jti: 'mix-3' }),
      await signal(shop, 'shop-b', {}, { jti: 'mix-4' }), // signed by another partner's key
      await signal(bank, 'bank-a', {}, { jti: 'mix-5', iss: 'shop-b' }),
      await signal(bank, 'bank-a', {}, { jti: 'mix-6' }),
    ];
    const res = (await publish('bank-a', bank, tokens)).data!.publishEvents;
    expect(res.map((r: any) => [r.index, r.jti, r.status, r.code])).toEqual([
      [0, 'mix-1', 'ACCEPTED', null],
      [1, null, 'REJECTED', 'invalid_request'],
      [2, 'mix-3', 'REJECTED', 'invalid_request'],
      [3, 'mix-4', 'REJECTED', 'invalid_key'],
      [4, 'mix-5', 'REJECTED', 'invalid_issuer'],
      [5, 'mix-6', 'ACCEPTED', null],
    ]);
    expect(res[2].description).toMatch(/score/);
  });

  it('refuses a batch over PUBLISH_MAX_BATCH whole, storing nothing', async () => {
    const tokens = await Promise.all(Array.from({ length: 61 }, (_, i) => signal(bank, 'bank-a', {}, { jti: `big-${i}` })));
    const res = await publish('bank-a', bank, tokens);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].message).toMatch(/at most 60 tokens/);
    const ds = gw.app.get(DataSource);
    expect(await ds.query(`SELECT count(*)::int AS n FROM event WHERE jti LIKE 'big-%'`)).toEqual([{ n: 0 }]);
    const ok = await publish('bank-a', bank, tokens.slice(0, 60));
    expect(ok.data!.publishEvents.every((r: any) => r.status === 'ACCEPTED')).toBe(true);
  });

  it('stores one row for 50 concurrent submissions of one token', async () => {
    const token = await signal(bank, 'bank-a', {}, { jti: 'race-1' });
    const results = await Promise.all(Array.from({ length: 50 }, () => publish('bank-a', bank, [token])));
    const outcomes = results.map((r) => r.data!.publishEvents[0]);
    expect(outcomes.filter((o) => o.status === 'ACCEPTED')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'DUPLICATE')).toHaveLength(49);
    expect(new Set(outcomes.map((o) => o.eventId)).size).toBe(1);
    const ds = gw.app.get(DataSource);
    expect(await ds.query(`SELECT count(*)::int AS n FROM event WHERE jti = 'race-1'`)).toEqual([{ n: 1 }]);
  });

  it("retracts and lifts the issuer's own events, keeping the history", async () => {
    const sig = (await publish('bank-a', bank, [await signal(bank, 'bank-a', {}, { jti: 'to-retract' })])).data!.publishEvents[0];
    const flag = (await publish('bank-a', bank, [await makeSet(bank, 'bank-a', 'account-flag', { action: 'freeze' }, { jti: 'flag-1' })])).data!.publishEvents[0];
    const acts = (await publish('bank-a', bank, [
      await makeSet(bank, 'bank-a', 'retraction', { retracts_jti: 'to-retract', reason: 'false_positive' }, { jti: 'retr-1' }),
      await makeSet(bank, 'bank-a', 'flag-lifted', { flag_jti: 'flag-1' }, { jti: 'lift-1' }),
      await makeSet(bank, 'bank-a', 'retraction', { retracts_jti: 'no-such-jti', reason: 'error' }, { jti: 'retr-2' }),
      await makeSet(bank, 'bank-a', 'flag-lifted', { flag_jti: 'to-retract' }, { jti: 'lift-2' }),
    ])).data!.publishEvents;
    expect(acts.map((a: any) => [a.status, a.code])).toEqual([['ACCEPTED', null], ['ACCEPTED', null], ['REJECTED', 'access_denied'], ['REJECTED', 'invalid_request']]);
    expect(acts[2].description).toMatch(/"no-such-jti" is not an event of yours/);
    expect(acts[3].description).toMatch(/"to-retract" is a risk-signal, which this event cannot act on/);
    const retracted = (await gw.as('bank-a', bank, EVENT, { id: sig.eventId })).data!.event;
    expect(retracted).toMatchObject({ status: 'RETRACTED', statusChangedBy: acts[0].eventId });
    expect((await gw.as('bank-a', bank, EVENT, { id: flag.eventId })).data!.event).toMatchObject({ status: 'LIFTED', statusChangedBy: acts[1].eventId });
    // Another issuer cannot retract it.
    const foreign = (await publish('shop-b', shop, [await makeSet(shop, 'shop-b', 'retraction', { retracts_jti: 'flag-1', reason: 'disputed' })])).data!.publishEvents[0];
    expect(foreign).toMatchObject({ status: 'REJECTED', code: 'access_denied', description: '"flag-1" is not an event of yours: only your own signals and flags can be retracted or lifted' });
  });

  it('accepts legal requests only from LEGAL partners', async () => {
    const legal = { kind: 'disclosure', legal_basis: 'Art. 1', case_reference: 'C-1', authority: 'Court' };
    expect((await publish('bank-a', bank, [await makeSet(bank, 'bank-a', 'legal-request', legal)])).data!.publishEvents[0]).toMatchObject({ status: 'REJECTED', code: 'access_denied' });
    const ok = (await publish('court-c', court, [await makeSet(court, 'court-c', 'legal-request', legal)])).data!.publishEvents[0];
    expect(ok.status).toBe('ACCEPTED');
    const ev = (await gw.as('court-c', court, EVENT, { id: ok.eventId })).data!.event;
    expect(ev.type).toBe('LEGAL_REQUEST');
  });

  it('lists your own events, newest first, with filters and cursors; never another issuer\'s', async () => {
    const q = 'query($f: MyEventsFilter, $after: String) { myEvents(filter: $f, first: 7, after: $after) { edges { node { id jti issuer type status } } pageInfo { hasNextPage endCursor } } }';
    const all: any[] = [];
    let after: string | null = null;
    for (;;) {
      const res: any = await gw.as('bank-a', bank, q, { after });
      all.push(...res.data.myEvents.edges.map((e: any) => e.node));
      if (!res.data.myEvents.pageInfo.hasNextPage) break;
      after = res.data.myEvents.pageInfo.endCursor;
    }
    // Every one of bank-a's events, and only those.
    const [{ n }] = await gw.app.get(DataSource).query(`SELECT count(*)::int AS n FROM event WHERE issuer = 'bank-a'`);
    expect(n).toBeGreaterThan(60);
    expect(all.length).toBe(n);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect(all.every((e) => e.issuer === 'bank-a')).toBe(true);
    const retracted = await gw.as('bank-a', bank, q, { f: { status: 'RETRACTED' } });
    expect(retracted.data!.myEvents.edges.map((e: any) => e.node.jti)).toEqual(['to-retract']);
    const flags = await gw.as('bank-a', bank, q, { f: { type: 'ACCOUNT_FLAG' } });
    expect(flags.data!.myEvents.edges.map((e: any) => e.node.jti)).toEqual(['flag-1']);
    // Another issuer's event reads exactly like a missing one.
    const shopEvent = all.length && (await gw.as('shop-b', shop, q)).data!.myEvents.edges[0].node.id;
    expect((await gw.as('bank-a', bank, EVENT, { id: shopEvent })).data).toEqual({ event: null });
    expect((await gw.as('bank-a', bank, EVENT, { id: '00000000-0000-4000-8000-000000000000' })).data).toEqual({ event: null });
    expect((await gw.as('bank-a', bank, EVENT, { id: 'garbage' })).data).toEqual({ event: null });
    expect((await gw.as('shop-b', shop, EVENT, { id: shopEvent })).data!.event.id).toBe(shopEvent);
  });

  it('drops expired events from reads and purges them after RETENTION_DAYS, auditing counts only', async () => {
    const iat = Math.floor(Date.now() / 1000) - 6 * 86_400;
    const token = await signal(bank, 'bank-a', { expires_at: iat + 60 }, { jti: 'old-1', iat });
    const res = (await publish('bank-a', bank, [token])).data!.publishEvents[0];
    expect(res.status).toBe('ACCEPTED');
    expect((await gw.as('bank-a', bank, EVENT, { id: res.eventId })).data).toEqual({ event: null });
    const purge = await gw.app.get(RetentionService).purge();
    expect(purge.purged).toBe(1);
    const ds = gw.app.get(DataSource);
    expect(await ds.query(`SELECT count(*)::int AS n FROM event WHERE jti = 'old-1'`)).toEqual([{ n: 0 }]);
    const [entry] = await ds.query(`SELECT details FROM audit_log WHERE action = 'events.purge' ORDER BY seq DESC LIMIT 1`);
    expect(entry.details).toMatchObject({ purged: 1, byType: { RISK_SIGNAL: 1 } });
    expect(JSON.stringify(entry.details)).not.toContain('old-1');
    expect((await gw.as('bank-a', bank, EVENT, { id: (await publish('bank-a', bank, [await signal(bank, 'bank-a')])).data!.publishEvents[0].eventId })).data!.event).not.toBeNull();
  });

  it('writes one audit entry per publish call, with counts and the accepted jtis', async () => {
    await publish('bank-a', bank, [await signal(bank, 'bank-a', {}, { jti: 'aud-1' }), 'bad']);
    const ds = gw.app.get(DataSource);
    const [entry] = await ds.query(`SELECT actor, details FROM audit_log WHERE action = 'events.publish' ORDER BY seq DESC LIMIT 1`);
    expect(entry).toEqual({ actor: 'bank-a', details: { outcome: 'ok', accepted: 1, duplicate: 0, rejected: 1, accepted_jtis: ['aud-1'] } });
  });

  describe('POST /events (RFC 8935 push)', () => {
    const push = async (body: string, headers: Record<string, string>) => {
      const res = await fetch(`${gw.url}/events`, { method: 'POST', headers, body });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    const auth = async (partner = 'bank-a', key = bank) => ({ authorization: `Bearer ${await assertion(key, partner)}`, 'content-type': 'application/secevent+jwt' });

    it('answers 202 for accepted and for duplicate', async () => {
      const token = await signal(bank, 'bank-a', {}, { jti: 'push-1' });
      expect(await push(token, await auth())).toEqual({ status: 202, body: null });
      expect(await push(token, await auth())).toEqual({ status: 202, body: null });
      const ds = gw.app.get(DataSource);
      expect(await ds.query(`SELECT count(*)::int AS n FROM event WHERE jti = 'push-1'`)).toEqual([{ n: 1 }]);
    });

    it('answers 400 with the profile code', async () => {
      const bad = await signal(bank, 'bank-a', { category: 'bad_vibes' });
      const res = await push(bad, await auth());
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ err: 'invalid_request', description: expect.stringMatching(/category/) });
      const wrongKey = await push(await signal(shop, 'shop-b'), await auth());
      expect(wrongKey).toMatchObject({ status: 400, body: { err: 'invalid_key' } });
      const type = await push(await signal(bank, 'bank-a'), { ...(await auth()), 'content-type': 'application/json' });
      expect(type.status).toBe(400);
      expect(await push(await signal(bank, 'bank-a'), await auth())).toEqual({ status: 202, body: null });
    });

    it('answers 401 without a valid assertion and 403 for a kind that may not publish', async () => {
      const token = await signal(bank, 'bank-a');
      expect((await push(token, { 'content-type': 'application/secevent+jwt' })).status).toBe(401);
      const asOperator = await push(token, { authorization: `Bearer ${await assertion(gw.operatorKey, 'operator')}`, 'content-type': 'application/secevent+jwt' });
      expect(asOperator.status).toBe(403);
      expect((await push(token, await auth())).status).toBe(202);
    });
  });
});
