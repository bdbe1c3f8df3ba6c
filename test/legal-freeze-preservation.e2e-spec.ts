// Issue 15 parts 5 and 6 over HTTP against PostgreSQL: a court's FREEZE, approved, makes the gateway
// publish its own signed flag (delivered to watching streams, verified with the gateway JWKS) and puts
// the subject at FREEZE naming the order; a reviewed RELEASE or the order's deadline lifts it. A
// PRESERVATION holds the subject's events through retention, later ones too, until its release.
//
// Approvals and releases go through the real review mutations (approveLegalRequest, requestLegalRelease).
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditAction, SYSTEM_ACTOR } from '../src/audit/audit.actions';
import { EventRecord, EventStatus } from '../src/events/event.entity';
import { RetentionService } from '../src/events/retention.service';
import { FreezeDeadlines } from '../src/legal/freeze/freeze-deadlines';
import { FulfilmentOutcome, LegalFulfilment } from '../src/legal/legal-fulfilment';
import { LegalAction, LegalRequest, LegalRequestHistory } from '../src/legal/legal-request.entity';
import { LegalRequestsStore } from '../src/legal/legal-requests.store';
import { LegalKind, LegalStatus } from '../src/legal/legal-workflow';
import { codeOf, TestDatabase, TestGateway } from './support/app';
import { assertion, TestKey } from './support/keys';
import { makeSet, signal } from './support/sets';

const FLAG = 'urn:risk-exchange:event:account-flag';
const LIFTED = 'urn:risk-exchange:event:flag-lifted';
const APPROVE = 'mutation($i: ApproveLegalRequestInput!) { approveLegalRequest(input: $i) { id status } }';
const RELEASE = 'mutation($i: RequestLegalReleaseInput!) { requestLegalRelease(input: $i) { id } }';
const PUBLISH = 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status eventId code description } }';
const SCORE = 'query($s: String!) { riskScore(subject: $s) { tier rationale activeFlags(first: 10) { id issuer action distribution details } } }';
const FROZEN = 'v1:legal-freeze-subject-000000001';
const DEADLINED = 'v1:legal-freeze-deadline-00000002';
const LAPSED = 'v1:legal-freeze-lapsed-000000003';
const NOT_WATCHED = 'v1:legal-freeze-other-000000004';
const PRESERVED = 'v1:legal-preserved-subject-00005';
const NEIGHBOUR = 'v1:legal-preserved-neighbour-006';
const TWICE = 'v1:legal-preserved-twice-0000007';
const ORDER = { legal_basis: '§ 111b StPO', case_reference: 'AG-Berlin 12 Js 345/26', authority: 'Amtsgericht Berlin' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('legal freeze and preservation (e2e, PostgreSQL, HTTP)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let ds: DataSource;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  const keys: Record<string, TestKey> = {};
  const streams: Record<string, string> = {};

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0', LEGAL_SWEEP_SECONDS: '0', RETENTION_INTERVAL_SECONDS: '0', RETENTION_DAYS: '0' });
    ds = gw.app.get(DataSource);
    for (const [id, kind] of [['bank-a', 'BANK'], ['shop-b', 'ECOMMERCE'], ['bank-e', 'BANK'], ['court-d', 'LEGAL'], ['officer-2', 'OPERATOR']]) keys[id] = await gw.registerPartner(id, kind);
    jwks = createLocalJWKSet((await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet);
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  async function ssf(partner: string, path: string, body: unknown) {
    const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${await assertion(keys[partner], partner)}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Polls (and acknowledges) the partner's stream until `n` SETs came or 5 s passed; every SET verified with the gateway JWKS. */
  async function received(partner: string, n: number): Promise<Array<JWTPayload & Record<string, any>>> {
    const sets: Array<JWTPayload & Record<string, any>> = [];
    const until = Date.now() + 5000;
    do {
      const res = await ssf(partner, `/ssf/poll/${streams[partner]}`, { maxEvents: 50, returnImmediately: true });
      expect(res.status).toBe(200);
      const ack: string[] = [];
      for (const token of Object.values(res.body.sets as Record<string, string>)) {
        const { payload } = await jwtVerify(token, jwks, { issuer: gw.config.issuer, audience: partner, typ: 'secevent+jwt' });
        sets.push(payload as JWTPayload & Record<string, any>);
        ack.push(payload.jti as string);
      }
      if (ack.length) await ssf(partner, `/ssf/poll/${streams[partner]}`, { maxEvents: 0, returnImmediately: true, ack });
      if (sets.length >= n) break;
      await sleep(100);
    } while (Date.now() < until);
    return sets;
  }

  async function publish(partner: string, tokens: string[]): Promise<string[]> {
    const res = await gw.as(partner, keys[partner], PUBLISH, { t: tokens });
    expect(res.errors).toBeUndefined();
    for (const r of res.data!.publishEvents) expect(r).toMatchObject({ status: 'ACCEPTED' });
    return res.data!.publishEvents.map((r: { eventId: string }) => r.eventId);
  }

  /** The court asks; the request's id is the legal-request event's id. */
  async function ask(kind: 'freeze' | 'preservation', subject: string, extra: Record<string, unknown> = {}): Promise<string> {
    const [id] = await publish('court-d', [await makeSet(keys['court-d'], 'court-d', 'legal-request', { kind, ...ORDER, ...extra }, { subject })]);
    return id;
  }

  /**
   * Two distinct reviewers approve through the real mutation (`approveLegalRequest`); a PRESERVATION
   * (and its release) needs one. Answers what the fulfilment recorded in the FULFILLED history entry.
   */
  async function approveAsTheWorkflowWill(requestId: string, _releasedId: string | null = null): Promise<FulfilmentOutcome> {
    for (const [id, key] of [['operator', gw.operatorKey], ['officer-2', keys['officer-2']]] as const) {
      const res = await gw.as(id, key, APPROVE, { i: { id: requestId, comment: 'order checked' } });
      if (res.errors) throw new Error(res.errors[0].message);
      if (res.data!.approveLegalRequest.status !== 'UNDER_REVIEW') break;
    }
    const fulfilled = await ds.getRepository(LegalRequestHistory).findOne({ where: { requestId, action: LegalAction.FULFILLED } });
    return fulfilled ? { fulfilled: true, details: fulfilled.details ?? undefined } : { fulfilled: false };
  }

  /** The court asks for the release of its fulfilled freeze or preservation (`requestLegalRelease`). */
  async function openRelease(releasedId: string): Promise<string> {
    const res = await gw.as('court-d', keys['court-d'], RELEASE, { i: { requestId: releasedId, justification: 'the court lifted its order' } });
    if (res.errors) throw new Error(res.errors[0].message);
    return res.data!.requestLegalRelease.id;
  }

  const request = (id: string) => ds.getRepository(LegalRequest).findOneByOrFail({ id });
  const score = async (subject: string) => (await gw.as('bank-a', keys['bank-a'], SCORE, { s: subject })).data!.riskScore;
  const storedTier = async (subject: string) => (await ds.query(`SELECT tier FROM subject_score WHERE subject = $1`, [subject]))[0]?.tier ?? null;

  it('has a fulfilment for every kind, and streams made through the SSF endpoints', async () => {
    expect(gw.app.get(LegalFulfilment).kinds()).toEqual([LegalKind.DISCLOSURE, LegalKind.FREEZE, LegalKind.PRESERVATION]);
    for (const [partner, subjects] of [['bank-a', [FROZEN, DEADLINED]], ['shop-b', [FROZEN]], ['bank-e', [NOT_WATCHED]], ['court-d', [FROZEN]]] as const) {
      const made = await ssf(partner, '/ssf/streams', { events_requested: [FLAG, LIFTED], description: `${partner} legal freeze watch` });
      expect(made.status).toBe(201);
      streams[partner] = made.body.stream_id;
      for (const subject of subjects) expect((await ssf(partner, '/ssf/subjects:add', { stream_id: streams[partner], subject: { format: 'opaque', id: subject } })).status).toBe(200);
    }
  });

  let freezeId = '';
  let flag: EventRecord;
  it('an approved FREEZE: the gateway publishes its signed flag in the approving transaction and the subject scores FREEZE naming the order', async () => {
    freezeId = await ask('freeze', FROZEN);
    // Submitted, not approved: nothing happens to the subject.
    expect((await request(freezeId)).status).toBe(LegalStatus.SUBMITTED);
    expect(await score(FROZEN)).toMatchObject({ tier: 'NONE', activeFlags: [] });
    expect(await received('bank-a', 0)).toEqual([]);

    const outcome = await approveAsTheWorkflowWill(freezeId);
    const req = await request(freezeId);
    expect(req).toMatchObject({ status: LegalStatus.FULFILLED, releasedAt: null });
    expect(outcome).toEqual({ fulfilled: true, details: { flag_event_id: req.flagEventId, flag_jti: expect.any(String) } });
    flag = await ds.getRepository(EventRecord).findOneByOrFail({ id: req.flagEventId! });
    expect(flag).toMatchObject({ issuer: '@gateway', type: 'ACCOUNT_FLAG', action: 'freeze', distribution: 'consortium', reasonCodes: ['legal_order'], status: EventStatus.ACTIVE, expiresAt: null });

    // The stored flag is the gateway's own SET: iss GATEWAY_ISSUER, aud the gateway audience, verified with the published JWKS.
    const { payload } = await jwtVerify(flag.token, jwks, { issuer: gw.config.issuer, audience: gw.config.audience, typ: 'secevent+jwt' });
    expect(payload).toMatchObject({ jti: flag.jti, sub_id: { format: 'opaque', id: FROZEN } });
    expect((payload as any).events[FLAG]).toEqual({ action: 'freeze', reason_codes: ['legal_order'], distribution: 'consortium', legal_request_id: freezeId, case_reference: ORDER.case_reference, authority: ORDER.authority });

    // The stored score changed in the approving transaction, caused by the gateway's flag.
    expect(await storedTier(FROZEN)).toBe('FREEZE');
    expect((await ds.query(`SELECT tier, caused_by FROM score_history WHERE subject = $1`, [FROZEN]))).toEqual([{ tier: 'FREEZE', caused_by: [flag.id] }]);
    const read = await score(FROZEN);
    expect(read.tier).toBe('FREEZE');
    expect(read.rationale).toContain(`an approved legal freeze applies: order ${ORDER.case_reference} (legal request ${freezeId}): FREEZE`);
    expect(read.activeFlags).toEqual([{ id: flag.id, issuer: '@gateway', action: 'freeze', distribution: 'consortium', details: JSON.stringify({ authority: ORDER.authority, case_reference: ORDER.case_reference, legal_request_id: freezeId }) }]);

    const published = await ds.query(`SELECT actor, details FROM audit_log WHERE action = 'events.publish' AND target = $1`, [flag.id]);
    expect(published).toEqual([{ actor: '@gateway', details: expect.objectContaining({ accepted_jtis: [flag.jti], gateway_event: 'account-flag', legal_request_id: freezeId }) }]);
  });

  it('delivers the gateway flag to every stream watching the subject (a bank and a platform), and to no other', async () => {
    expect(await received('bank-e', 0)).toEqual([]); // watches another subject
    expect(await received('court-d', 0)).toEqual([]); // LEGAL: never sees events through distribution, even its own order's flag
    for (const partner of ['bank-a', 'shop-b']) {
      const sets = await received(partner, 1);
      expect(sets).toHaveLength(1);
      expect(sets[0]).toMatchObject({ iss: gw.config.issuer, aud: partner, txn: flag.jti, sub_id: { format: 'opaque', id: FROZEN } });
      // No grant from the gateway exists: reason codes and the original token stay masked; the order travels in its own fields.
      expect(sets[0].events).toEqual({ [FLAG]: { action: 'freeze', distribution: 'consortium', legal_request_id: freezeId, case_reference: ORDER.case_reference, authority: ORDER.authority, issuer: '@gateway', event_id: flag.id } });
    }
  });

  it('no partner can lift or retract the gateway\'s flag: only a reviewed release does', async () => {
    const lift = await makeSet(keys['bank-a'], 'bank-a', 'flag-lifted', { flag_jti: flag.jti });
    const retract = await makeSet(keys['bank-a'], 'bank-a', 'retraction', { retracts_jti: flag.jti, reason: 'error' });
    const res = await gw.as('bank-a', keys['bank-a'], PUBLISH, { t: [lift, retract] });
    for (const r of res.data!.publishEvents) expect(r).toMatchObject({ status: 'REJECTED', code: 'access_denied', description: `"${flag.jti}" is not an event of yours: only your own signals and flags can be retracted or lifted` });
    expect(await ds.getRepository(EventRecord).findOneByOrFail({ id: flag.id })).toMatchObject({ status: EventStatus.ACTIVE });
    expect(await score(FROZEN)).toMatchObject({ tier: 'FREEZE' });
  });

  it('an approved RELEASE lifts it: the gateway publishes flag-lifted, the streams receive it, the tier leaves FREEZE', async () => {
    const releaseId = await openRelease(freezeId);
    expect(await score(FROZEN)).toMatchObject({ tier: 'FREEZE' }); // asked, not approved: still frozen
    const outcome = await approveAsTheWorkflowWill(releaseId, freezeId);
    expect(outcome).toEqual({ fulfilled: true, details: { released_request_id: freezeId, flag_lifted_event_id: expect.any(String) } });
    const lift = await ds.getRepository(EventRecord).findOneByOrFail({ id: outcome.details!.flag_lifted_event_id as string });
    expect(lift).toMatchObject({ issuer: '@gateway', type: 'FLAG_LIFTED', targetJti: flag.jti, reasonCodes: ['legal_release'] });
    expect(await ds.getRepository(EventRecord).findOneByOrFail({ id: flag.id })).toMatchObject({ status: EventStatus.LIFTED, statusChangedBy: lift.id });

    expect((await request(releaseId)).status).toBe(LegalStatus.FULFILLED);
    const freeze = await request(freezeId);
    expect(freeze.releasedAt).not.toBeNull();
    const released = (await gw.app.get(LegalRequestsStore).history(ds.manager, freezeId)).filter((h) => h.action === LegalAction.RELEASED);
    expect(released).toEqual([expect.objectContaining({ actor: SYSTEM_ACTOR, reason: `release ${releaseId} approved`, details: expect.objectContaining({ release_request_id: releaseId, flag_lifted_event_id: lift.id }) })]);

    expect(await storedTier(FROZEN)).toBe('NONE');
    const read = await score(FROZEN);
    expect(read).toMatchObject({ tier: 'NONE', activeFlags: [] });
    expect(read.rationale.join(' ')).not.toContain('legal freeze');
    for (const partner of ['bank-a', 'shop-b']) {
      const sets = await received(partner, 1);
      expect(sets.map((s) => s.events)).toEqual([{ [LIFTED]: { flag_jti: flag.jti, legal_request_id: releaseId, issuer: '@gateway', event_id: lift.id } }]);
    }
    expect(await received('bank-e', 0)).toEqual([]);
  });

  it('a freeze with a deadline ends then: scores stop counting it on time, the sweep lifts it; an order past its deadline cannot be approved', async () => {
    const deadline = Math.floor(Date.now() / 1000) + 3;
    const timed = await ask('freeze', DEADLINED, { deadline });
    const lapsed = await ask('freeze', LAPSED, { deadline });
    await approveAsTheWorkflowWill(timed);
    const timedFlag = (await request(timed)).flagEventId!;
    expect((await ds.getRepository(EventRecord).findOneByOrFail({ id: timedFlag })).expiresAt).toEqual(new Date(deadline * 1000));
    expect(await score(DEADLINED)).toMatchObject({ tier: 'FREEZE' });
    expect((await received('bank-a', 1)).map((s) => s.events[FLAG]?.legal_request_id)).toEqual([timed]);
    expect(await gw.app.get(FreezeDeadlines).sweep()).toEqual([]); // not due yet

    while (Date.now() <= deadline * 1000 + 200) await sleep(200);
    // On time without the sweep: the flag expired with the order.
    expect(await score(DEADLINED)).toMatchObject({ tier: 'NONE', activeFlags: [] });
    const refused = approveAsTheWorkflowWill(lapsed);
    await expect(refused).rejects.toThrow(`cannot approve: the freeze order's deadline ${new Date(deadline * 1000).toISOString()} has passed; reject the request instead`);
    // The deciding approval rolled back whole: the first reviewer's approval stands, the order is still under review.
    expect((await request(lapsed)).status).toBe(LegalStatus.UNDER_REVIEW);
    expect(await gw.app.get(LegalRequestsStore).approvers(ds.manager, lapsed)).toEqual(['operator']);

    expect(await gw.app.get(FreezeDeadlines).sweep()).toEqual([timed]);
    const ended = await request(timed);
    expect(ended.releasedAt).not.toBeNull();
    const history = await gw.app.get(LegalRequestsStore).history(ds.manager, timed);
    expect(history.filter((h) => h.action === LegalAction.RELEASED)).toEqual([expect.objectContaining({ actor: SYSTEM_ACTOR, reason: 'deadline' })]);
    expect(await ds.getRepository(EventRecord).findOneByOrFail({ id: timedFlag })).toMatchObject({ status: EventStatus.LIFTED });
    const lifts = await received('bank-a', 1);
    expect(lifts.map((s) => Object.keys(s.events))).toEqual([[LIFTED]]);
    expect(lifts[0].sub_id).toEqual({ format: 'opaque', id: DEADLINED });
    expect(await storedTier(DEADLINED)).toBe('NONE');
    expect(await gw.app.get(FreezeDeadlines).sweep()).toEqual([]); // once only
  });

  const expiringSignal = (subject: string) => signal(keys['bank-a'], 'bank-a', { expires_at: Math.floor(Date.now() / 1000) + 2 }, { subject });
  const exists = async (ids: string[]) => ((await ds.query(`SELECT id FROM event WHERE id = ANY($1::uuid[])`, [ids])) as Array<{ id: string }>).map((r) => r.id).sort();
  const held = async (subject: string) => ((await ds.query(`SELECT legal_hold FROM event WHERE subject = $1`, [subject])) as Array<{ legal_hold: boolean }>).map((r) => r.legal_hold);
  const purge = () => gw.app.get(RetentionService).purge();

  let preservationId = '';
  let preserved: string[] = [];
  it('an approved PRESERVATION holds the subject\'s events through a retention run that purges their neighbours', async () => {
    preserved = await publish('bank-a', [await expiringSignal(PRESERVED), await expiringSignal(PRESERVED)]);
    const neighbours = await publish('bank-a', [await expiringSignal(NEIGHBOUR), await expiringSignal(NEIGHBOUR)]);
    preservationId = await ask('preservation', PRESERVED);
    expect(await held(PRESERVED)).toEqual([false, false, false]); // asked, not approved
    expect(await approveAsTheWorkflowWill(preservationId)).toEqual({ fulfilled: true, details: { held_events: 3 } }); // the two signals and the request itself
    expect((await request(preservationId)).status).toBe(LegalStatus.FULFILLED);
    expect(await held(PRESERVED)).toEqual([true, true, true]);
    expect(await held(NEIGHBOUR)).toEqual([false, false]);

    await sleep(2600); // every signal of both subjects has expired (RETENTION_DAYS=0: purgeable at once)
    const run = await purge();
    expect(run.byType).toMatchObject({ RISK_SIGNAL: expect.any(Number) });
    expect(await exists(neighbours)).toEqual([]);
    expect(await exists(preserved)).toEqual([...preserved].sort());
  });

  it('holds events that arrive later about the preserved subject, and only those', async () => {
    const [later] = await publish('bank-a', [await expiringSignal(PRESERVED)]);
    const [elsewhere] = await publish('bank-a', [await expiringSignal(NEIGHBOUR)]);
    const rows = await ds.getRepository(EventRecord).find({ select: { id: true, legalHold: true }, where: [{ id: later }, { id: elsewhere }] });
    expect(Object.fromEntries(rows.map((r) => [r.id, r.legalHold]))).toEqual({ [later]: true, [elsewhere]: false });
    await sleep(2600);
    await purge();
    expect(await exists([later, elsewhere])).toEqual([later]);
    preserved.push(later);
  });

  it('after an approved release, the next retention run removes them', async () => {
    const releaseId = await openRelease(preservationId);
    await purge();
    expect(await exists(preserved)).toEqual([...preserved].sort()); // release asked, not approved: still held
    expect(await approveAsTheWorkflowWill(releaseId, preservationId)).toEqual({ fulfilled: true, details: { released_request_id: preservationId, released_events: 4 } });
    expect((await request(preservationId)).releasedAt).not.toBeNull();
    expect(await held(PRESERVED)).toEqual([false, false, false, false]);
    const history = await gw.app.get(LegalRequestsStore).history(ds.manager, preservationId);
    expect(history.filter((h) => h.action === LegalAction.RELEASED)).toEqual([expect.objectContaining({ reason: `release ${releaseId} approved` })]);
    await purge();
    expect(await exists(preserved)).toEqual([]);
    // Later events about the subject are no longer held.
    const [after] = await publish('bank-a', [await expiringSignal(PRESERVED)]);
    expect((await ds.getRepository(EventRecord).findOneByOrFail({ id: after })).legalHold).toBe(false);
  });

  it('a release keeps the hold while another active preservation covers the subject, and ends it with the last one', async () => {
    const [signalId] = await publish('bank-a', [await expiringSignal(TWICE)]);
    const first = await ask('preservation', TWICE);
    const second = await ask('preservation', TWICE, { case_reference: 'AG-Berlin 12 Js 999/26' });
    await approveAsTheWorkflowWill(first);
    await approveAsTheWorkflowWill(second);
    const heldOf = async () => (await ds.getRepository(EventRecord).findOneByOrFail({ id: signalId })).legalHold;
    expect(await heldOf()).toBe(true);
    const out = await approveAsTheWorkflowWill(await openRelease(first), first);
    expect(out.details).toEqual({ released_request_id: first, released_events: 0, still_held: true });
    expect(await heldOf()).toBe(true);
    // Releasing a released preservation again is refused, naming why.
    await expect(openRelease(first)).rejects.toThrow(new RegExp(`^cannot request a release: request ${first} was already released at `));
    const last = await approveAsTheWorkflowWill(await openRelease(second), second);
    expect(last.details).toMatchObject({ released_request_id: second, released_events: 3 });
    expect(await heldOf()).toBe(false);
  });

  it('no partner can publish as the gateway: @gateway is not a partner id', async () => {
    const res = await gw.asOperator(`mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { id } }`, { input: { id: '@gateway', name: 'Impostor', kind: 'BANK', jwks: JSON.stringify({ keys: [keys['bank-a'].publicJwk] }) } });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    const ok = await gw.asOperator(`mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { id } }`, { input: { id: 'gateway-fan', name: 'Not the gateway', kind: 'BANK', jwks: JSON.stringify({ keys: [keys['bank-a'].publicJwk] }) } });
    expect(ok.data!.registerPartner.id).toBe('gateway-fan');
  });
});
