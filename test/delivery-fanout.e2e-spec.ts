import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { Delivery } from '../src/delivery/delivery.entity';
import { NoticeSigner } from '../src/delivery/notice-signer';
import { POLL_METHOD, PUSH_METHOD, SsfStream, SsfStreamSubject } from '../src/delivery/stream.entity';
import { EventsStoredHook } from '../src/events/events-stored.hook';
import { TestDatabase, TestGateway } from './support/app';
import { TestKey } from './support/keys';
import { makeSet, signal } from './support/sets';

const PUBLISH = 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status eventId code description } }';
const GRANT = 'mutation($i: GrantAccessInput!) { grantAccess(input: $i) { id } }';
const MINE = 'query($f: AuditLogFilter) { myAuditTrail(filter: $f, first: 100) { edges { node { seq actor action details } } } }';
const inAYear = () => new Date(Date.now() + 365 * 86_400_000).toISOString();

const T = {
  signal: 'urn:risk-exchange:event:risk-signal',
  flag: 'urn:risk-exchange:event:account-flag',
  lift: 'urn:risk-exchange:event:flag-lifted',
  retraction: 'urn:risk-exchange:event:retraction',
  tier: 'urn:risk-exchange:event:risk-tier-changed',
  caep: 'https://schemas.openid.net/secevent/caep/event-type/risk-level-change',
};
const PARTNER_TYPES = [T.signal, T.flag, T.lift, T.retraction];
const S1 = 'v1:fanout-subject-0001';
const S2 = 'v1:fanout-subject-0002';
const S3 = 'v1:fanout-subject-0003';

describe('delivery fan-out (e2e, PostgreSQL, real HTTP publishing)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let ds: DataSource;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  const keys: Record<string, TestKey> = {};
  const streams: Record<string, string> = {};

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0' });
    ds = gw.app.get(DataSource);
    const kinds: Array<[string, string]> = [['bank-a', 'BANK'], ['shop-b', 'ECOMMERCE'], ['bank-c', 'BANK'], ['scorer-d', 'INTERNAL_SCORER'], ['court-l', 'LEGAL'], ['bank-p', 'BANK'], ['bank-x', 'BANK']];
    for (const [id, kind] of kinds) keys[id] = await gw.registerPartner(id, kind);
    jwks = createLocalJWKSet((await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet);
    // Streams are set up through the repositories (the stream API is built on another branch).
    await stream('A', 'bank-a', [S1], [...PARTNER_TYPES, T.tier]);
    await stream('B', 'shop-b', [S1, S2, S3], [...PARTNER_TYPES, T.tier, T.caep], { method: PUSH_METHOD });
    await stream('C', 'bank-c', [S1], PARTNER_TYPES);
    await stream('C2', 'bank-c', [S1], [T.signal]); // does not request flags
    await stream('D', 'scorer-d', [S2], PARTNER_TYPES); // another subject
    await stream('L', 'court-l', [S1, S2], [...PARTNER_TYPES, T.tier, T.caep]); // LEGAL sees nothing of others
    await stream('P', 'bank-p', [S1], PARTNER_TYPES, { status: 'paused' });
    await stream('X', 'bank-x', [S1], PARTNER_TYPES, { status: 'disabled' });
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  async function stream(name: string, owner: string, subjects: string[], requested: string[], o: { method?: string; status?: string } = {}) {
    const id = randomUUID();
    const now = new Date();
    await ds.getRepository(SsfStream).insert({
      id, owner, aud: `https://${owner}.example/ssf/${name}`, description: null, eventsRequested: requested, deliveryMethod: o.method ?? POLL_METHOD,
      endpointUrl: o.method === PUSH_METHOD ? `https://${owner}.example/push` : null, authorizationHeader: null, signingAlg: 'EdDSA',
      minVerificationInterval: 30, status: o.status ?? 'enabled', statusReason: null, lastVerificationAt: null, consecutiveFailures: 0, createdAt: now, updatedAt: now,
    });
    await ds.getRepository(SsfStreamSubject).insert(subjects.map((subject) => ({ streamId: id, subject, addedAt: now })));
    streams[name] = id;
  }

  async function publish(partner: string, tokens: string[]): Promise<string[]> {
    const res = await gw.as(partner, keys[partner], PUBLISH, { t: tokens });
    expect(res.errors).toBeUndefined();
    for (const r of res.data!.publishEvents) expect(r).toMatchObject({ status: 'ACCEPTED' });
    return res.data!.publishEvents.map((r: any) => r.eventId);
  }

  /** Delivery rows of an event (or of tier changes of a subject), by stream name. */
  async function rowsOf(where: { eventId?: string; eventType?: string; subject?: string }): Promise<Record<string, Delivery[]>> {
    const qb = ds.getRepository(Delivery).createQueryBuilder('d').orderBy('d.event_type');
    if (where.eventId) qb.andWhere('d.event_id = :e', { e: where.eventId });
    if (where.eventType) qb.andWhere('d.event_type = :t', { t: where.eventType });
    if (where.subject) qb.andWhere(`d.payload #>> '{sub_id,id}' = :s`, { s: where.subject });
    const byId = Object.fromEntries(Object.entries(streams).map(([n, id]) => [id, n]));
    const out: Record<string, Delivery[]> = {};
    for (const d of await qb.getMany()) (out[byId[d.streamId]] ??= []).push(d);
    return out;
  }

  /** Signs the rows as a delivery method does and verifies each SET with the gateway's JWKS. */
  async function verified(rows: Delivery[]): Promise<Array<Record<string, any>>> {
    const tokens = await gw.app.get(NoticeSigner).tokensOf(ds.manager, rows.map((r) => ({ id: r.id, token: r.token, payload: r.payload, alg: 'EdDSA' })));
    return Promise.all(
      rows.map(async (r) => {
        const token = tokens.get(r.id)!;
        expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'secevent+jwt', alg: 'EdDSA' });
        const { payload } = await jwtVerify(token, jwks, { issuer: gw.config.issuer, audience: (r.payload as any).aud, typ: 'secevent+jwt' });
        expect(payload.jti).toBe(r.id);
        return payload as Record<string, any>;
      }),
    );
  }

  it('registers scoring then delivery on the events-stored hook; events/ imports neither', async () => {
    expect(gw.app.get(EventsStoredHook).names()).toEqual(['scoring', 'legal', 'legal-hold', 'delivery']);
    const dir = path.join(__dirname, '..', 'src', 'events');
    const sources = fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
    expect(sources.length).toBeGreaterThan(5);
    for (const f of sources) expect(fs.readFileSync(path.join(dir, f), 'utf8')).not.toMatch(/from '\.\.\/(\.\.\/)?(delivery|scoring|legal)\//);
  });

  it('delivers a freeze to the streams that watch the subject, masked per receiver, and to no other stream', async () => {
    await gw.as('bank-a', keys['bank-a'], GRANT, { i: { grantee: 'shop-b', categories: ['account_flag'], includeEvidence: true, expiresAt: inAYear(), purpose: 'cash-out ring' } });
    const [freeze] = await publish('bank-a', [await makeSet(keys['bank-a'], 'bank-a', 'account-flag', { action: 'freeze', reason_codes: ['cash_out_ring'] }, { jti: 'freeze-1', subject: S1 })]);
    const rows = await rowsOf({ eventId: freeze });
    // A (its own, as confirmation), B (grant with evidence), C (consortium), P (paused: held). Not C2
    // (flags not requested), D (other subject), L (LEGAL), X (disabled).
    expect(Object.keys(rows).sort()).toEqual(['A', 'B', 'C', 'P']);
    for (const n of ['A', 'B', 'C', 'P']) expect(rows[n]).toHaveLength(1);
    expect(rows.P[0].state).toBe('HELD');
    expect([rows.A[0].state, rows.B[0].state, rows.C[0].state]).toEqual(['PENDING', 'PENDING', 'PENDING']);
    expect(rows.B[0].nextAttemptAt).not.toBeNull(); // push: due at once
    expect(rows.C[0].nextAttemptAt).toBeNull(); // poll: fetched
    expect(rows.C[0].receiver).toBe('bank-c');

    const [a, b, c] = await verified([rows.A[0], rows.B[0], rows.C[0]]);
    const original = (await ds.query(`SELECT token FROM event WHERE id = $1`, [freeze]))[0].token;
    expect(b).toMatchObject({ iss: gw.config.issuer, aud: `https://shop-b.example/ssf/B`, txn: 'freeze-1', sub_id: { format: 'opaque', id: S1 } });
    expect(Object.keys(b.events)).toEqual([T.flag]);
    expect(b.events[T.flag]).toEqual({ action: 'freeze', reason_codes: ['cash_out_ring'], effective_at: expect.any(Number), distribution: 'consortium', issuer: 'bank-a', event_id: freeze, original_token: original });
    expect(c.events[T.flag]).toEqual({ action: 'freeze', effective_at: expect.any(Number), distribution: 'consortium', issuer: 'bank-a', event_id: freeze });
    expect(a.events[T.flag].original_token).toBe(original);
  });

  it('never delivers a legal request, even to its issuer', async () => {
    await stream('L1', 'court-l', [S1], ['urn:risk-exchange:event:legal-request', ...PARTNER_TYPES]);
    const legal = { kind: 'preservation', legal_basis: 'Art. 5 test statute', case_reference: 'CASE-1', authority: 'Test court' };
    const [request] = await publish('court-l', [await makeSet(keys['court-l'], 'court-l', 'legal-request', legal, { jti: 'legal-1', subject: S1 })]);
    expect(await rowsOf({ eventId: request })).toEqual({});
    // The same streams do receive a partner event of that subject.
    const [flag] = await publish('bank-a', [await makeSet(keys['bank-a'], 'bank-a', 'account-flag', { action: 'warn' }, { jti: 'warn-1', subject: S1 })]);
    expect(Object.keys(await rowsOf({ eventId: flag })).sort()).toEqual(['A', 'B', 'C', 'P']);
  });

  it('delivers a `granted` signal only to grantees', async () => {
    const [none] = await publish('bank-a', [await signal(keys['bank-a'], 'bank-a', { category: 'high_velocity', distribution: 'granted' }, { jti: 'granted-0', subject: S1 })]);
    expect(Object.keys(await rowsOf({ eventId: none }))).toEqual(['A']);
    await gw.as('bank-a', keys['bank-a'], GRANT, { i: { grantee: 'bank-c', categories: ['high_velocity'], includeEvidence: false, expiresAt: inAYear(), purpose: 'velocity watch' } });
    const [granted] = await publish('bank-a', [await signal(keys['bank-a'], 'bank-a', { category: 'high_velocity', distribution: 'granted' }, { jti: 'granted-1', subject: S1 })]);
    const rows = await rowsOf({ eventId: granted });
    // bank-c's grant opens it for both of its streams (C2 requested signals); shop-b's grant covers
    // flags only, and bank-p has none.
    expect(Object.keys(rows).sort()).toEqual(['A', 'C', 'C2']);
    const [c] = await verified(rows.C);
    expect(c.events[T.signal]).toEqual({ category: 'high_velocity', score: 0.8, confidence: 0.9, expires_at: expect.any(Number), distribution: 'granted', issuer: 'bank-a', event_id: granted });
  });

  it('sends a retraction to every stream that received the original, including one that removed the subject since, once each', async () => {
    const [sig] = await publish('bank-a', [await signal(keys['bank-a'], 'bank-a', { category: 'cash_out', distribution: 'consortium' }, { jti: 'consortium-1', subject: S1 })]);
    expect(Object.keys(await rowsOf({ eventId: sig })).sort()).toEqual(['A', 'B', 'C', 'C2', 'P']);
    await ds.getRepository(SsfStreamSubject).delete({ streamId: streams.B, subject: S1 });
    await stream('E', 'bank-c', [S1], PARTNER_TYPES); // watches now and may see it: told too
    const [retraction] = await publish('bank-a', [await makeSet(keys['bank-a'], 'bank-a', 'retraction', { retracts_jti: 'consortium-1', reason: 'false_positive' }, { jti: 'retract-1', subject: S1 })]);
    const rows = await rowsOf({ eventId: retraction });
    // C2 received the signal but did not request retractions (events_requested rules every notice).
    expect(Object.keys(rows).sort()).toEqual(['A', 'B', 'C', 'E', 'P']);
    for (const list of Object.values(rows)) expect(list).toHaveLength(1);
    const [b] = await verified(rows.B);
    expect(b).toMatchObject({ txn: 'retract-1', sub_id: { id: S1 } });
    expect(b.events[T.retraction]).toEqual({ retracts_jti: 'consortium-1', reason: 'false_positive', issuer: 'bank-a', event_id: retraction });
    // A stream that never received the target and no longer watches the subject gets nothing.
    const [other] = await publish('bank-a', [await signal(keys['bank-a'], 'bank-a', { distribution: 'consortium' }, { jti: 'consortium-2', subject: S1 })]);
    const [retraction2] = await publish('bank-a', [await makeSet(keys['bank-a'], 'bank-a', 'retraction', { retracts_jti: 'consortium-2', reason: 'error' }, { jti: 'retract-2', subject: S1 })]);
    expect(Object.keys(await rowsOf({ eventId: other })).sort()).toEqual(['A', 'C', 'C2', 'E', 'P']);
    expect(Object.keys(await rowsOf({ eventId: retraction2 })).sort()).toEqual(['A', 'C', 'E', 'P']);
  });

  it('sends a lift to the earlier recipients of the flag', async () => {
    const [lift] = await publish('bank-a', [await makeSet(keys['bank-a'], 'bank-a', 'flag-lifted', { flag_jti: 'freeze-1', reason_codes: ['customer_verified'] }, { jti: 'lift-1', subject: S1 })]);
    const rows = await rowsOf({ eventId: lift });
    expect(Object.keys(rows).sort()).toEqual(['A', 'B', 'C', 'E', 'P']);
    const [b, c] = await verified([rows.B[0], rows.C[0]]);
    expect(b.events[T.lift]).toMatchObject({ flag_jti: 'freeze-1', reason_codes: ['customer_verified'], original_token: expect.any(String) });
    expect(c.events[T.lift]).toEqual({ flag_jti: 'freeze-1', issuer: 'bank-a', event_id: lift });
  });

  it('sends tier changes natively and as CAEP risk-level-change to score readers watching the subject', async () => {
    const [freeze] = await publish('bank-a', [await makeSet(keys['bank-a'], 'bank-a', 'account-flag', { action: 'freeze' }, { jti: 'freeze-2', subject: S2 })]);
    const tier = await rowsOf({ subject: S2, eventType: T.tier });
    const caep = await rowsOf({ subject: S2, eventType: T.caep });
    // Only B requested tier changes among S2's watchers (D did not; L is LEGAL: no score reads).
    expect(Object.keys(tier)).toEqual(['B']);
    expect(Object.keys(caep)).toEqual(['B']);
    expect(tier.B[0].eventId).toBeNull();
    const [native, level] = await verified([tier.B[0], caep.B[0]]);
    const history = (await ds.query(`SELECT previous_tier, tier, score::float8 AS score FROM score_history WHERE subject = $1`, [S2]))[0];
    expect(history).toMatchObject({ previous_tier: 'NONE', tier: 'RESTRICT' });
    expect(native).toMatchObject({ txn: 'freeze-2', sub_id: { format: 'opaque', id: S2 }, events: { [T.tier]: { previous_tier: 'none', tier: 'restrict', score: history.score, changed_at: expect.any(Number) } } });
    expect(level).toMatchObject({ txn: 'freeze-2', events: { [T.caep]: { principal: 'USER', previous_level: 'LOW', current_level: 'HIGH', risk_reason: expect.any(String), event_timestamp: expect.any(Number) } } });
    expect(Object.keys(await rowsOf({ eventId: freeze })).sort()).toEqual(['B', 'D']);
  });

  it('leaves txn out of a tier change whose cause the receiver may not see', async () => {
    await stream('A3', 'bank-a', [S3], [...PARTNER_TYPES, T.tier]);
    await publish('bank-a', [await makeSet(keys['bank-a'], 'bank-a', 'account-flag', { action: 'freeze', distribution: 'issuer_only' }, { jti: 'freeze-3', subject: S3 })]);
    const tier = await rowsOf({ subject: S3, eventType: T.tier });
    expect(Object.keys(tier).sort()).toEqual(['A3', 'B']);
    const [hidden, own] = await verified([tier.B[0], tier.A3[0]]);
    expect(hidden).not.toHaveProperty('txn');
    expect(hidden.events[T.tier]).toMatchObject({ previous_tier: 'none', tier: 'restrict' });
    // The issuer sees its own cause named; the hidden flag itself reached only the issuer's stream.
    expect(own).toMatchObject({ txn: 'freeze-3', events: { [T.tier]: { previous_tier: 'none', tier: 'restrict' } } });
    expect(await ds.query(`SELECT receiver, event_type FROM delivery WHERE payload->>'txn' = 'freeze-3' ORDER BY event_type`)).toEqual([
      { receiver: 'bank-a', event_type: T.flag },
      { receiver: 'bank-a', event_type: T.tier },
    ]);
  });

  it("records, in the issuer's audit trail, which other partners received which of its events", async () => {
    const trail = async () => {
      const res = await gw.as('bank-a', keys['bank-a'], MINE, { f: { action: 'deliveries.enqueue' } });
      expect(res.errors).toBeUndefined();
      return res.data!.myAuditTrail.edges.map((e: any) => ({ ...e.node, details: JSON.parse(e.node.details) }));
    };
    const entries = await trail();
    const freezeEntry = entries.find((e: any) => e.details.delivered['shop-b']?.includes('freeze-1'));
    expect(freezeEntry).toMatchObject({ actor: 'system', details: { delivered: { 'bank-c': ['freeze-1'], 'bank-p': ['freeze-1'], 'shop-b': ['freeze-1'] } } });
    const tierEntry = entries.find((e: any) => e.details.delivered['scorer-d']?.includes('freeze-2'));
    expect(tierEntry.details).toEqual({ delivered: { 'scorer-d': ['freeze-2'], 'shop-b': ['freeze-2'] }, tier_changes_naming: { 'shop-b': ['freeze-2'] } });
    for (const e of entries) expect(Object.keys(e.details.delivered)).not.toContain('bank-a');
    // A publication that reaches only the issuer's own stream is no disclosure: no entry.
    await publish('bank-a', [await signal(keys['bank-a'], 'bank-a', { distribution: 'issuer_only' }, { jti: 'own-only', subject: S1 })]);
    expect(await trail()).toHaveLength(entries.length);
    // Another partner sees none of bank-a's delivery entries.
    const other = await gw.as('shop-b', keys['shop-b'], MINE, { f: { action: 'deliveries.enqueue' } });
    expect(other.data!.myAuditTrail.edges).toEqual([]);
    await publish('bank-a', [await signal(keys['bank-a'], 'bank-a', { distribution: 'consortium' }, { jti: 'shared-last', subject: S1 })]);
    expect(await trail()).toHaveLength(entries.length + 1);
  });
});
