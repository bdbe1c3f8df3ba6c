// The legal-request workflow over HTTP against PostgreSQL (issue 15, parts 1, 2 and 7): submission
// by a LEGAL partner only, review by OPERATOR compliance officers with four-eyes, rejection with a
// reason, withdrawal, refused transitions naming the state, the requester's reads and the
// reviewers' queue, deadlines (overdue, expiry of an unused disclosure window), the audit trail,
// the decision notices delivered to the requester's stream, and the migration of earlier requests.
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { DataSource } from 'typeorm';
import { LegalDeadlines, SWEEP_LOCK } from '../src/legal/legal-deadlines';
import { AddLegalRequests1796004820877 } from '../migrations/1796004820877-AddLegalRequests';
import { codeOf, GraphQLResponse, TestDatabase, TestGateway } from './support/app';
import { assertion, jwksOf, makeKey, TestKey } from './support/keys';
import { ISSUER } from './support/oauth';
import { makeSet, signal, SUBJECT } from './support/sets';

const DECISION = 'urn:risk-exchange:event:legal-request-decision';
const OTHER = 'v1:another-subject-of-another-court-000';
const FIELDS = 'id requester kind subject status approvals approvalsNeeded overdue overdueAt accessUntil decidedAt deadline history { actor action fromStatus toStatus reason details }';
const SUBMIT = `mutation($t: String!) { submitLegalRequest(token: $t) { ${FIELDS} } }`;
const READ = `query($id: ID!) { legalRequest(id: $id) { ${FIELDS} } }`;
const START = `mutation($id: ID!) { startLegalReview(id: $id) { ${FIELDS} } }`;
const APPROVE = `mutation($i: ApproveLegalRequestInput!) { approveLegalRequest(input: $i) { ${FIELDS} } }`;
const REJECT = `mutation($i: RejectLegalRequestInput!) { rejectLegalRequest(input: $i) { ${FIELDS} } }`;
const WITHDRAW = `mutation($i: WithdrawLegalRequestInput!) { withdrawLegalRequest(input: $i) { ${FIELDS} } }`;
const RELEASE = `mutation($i: RequestLegalReleaseInput!) { requestLegalRelease(input: $i) { id kind status releases subject token approvalsNeeded } }`;
const MINE = `query($f: MyLegalRequestsFilter, $first: Int, $after: String) { myLegalRequests(filter: $f, first: $first, after: $after) { totalCount edges { cursor node { ${FIELDS} } } pageInfo { hasNextPage endCursor } } }`;
const QUEUE = `query($f: LegalReviewQueueFilter) { legalReviewQueue(filter: $f, first: 100) { totalCount edges { node { id kind status overdue } } } }`;
const AUDIT = 'query($f: AuditLogFilter) { auditLog(filter: $f, first: 100) { edges { node { action actor target details } } } }';
const TRAIL = 'query($f: AuditLogFilter) { myAuditTrail(filter: $f, first: 100) { edges { node { action actor target } } } }';

describe('legal-request workflow (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let sql: DataSource;
  const keys: Record<string, TestKey> = {};
  const ids: Record<string, string> = {};
  let stream = '';

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0', GATEWAY_ISSUER: ISSUER, LEGAL_SWEEP_SECONDS: '0' });
    keys.operator = gw.operatorKey;
    for (const [id, kind] of [['court-a', 'LEGAL'], ['court-b', 'LEGAL'], ['officer-1', 'OPERATOR'], ['officer-2', 'OPERATOR'], ['bank-x', 'BANK']]) keys[id] = await gw.registerPartner(id, kind);
    sql = gw.app.get(DataSource);
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  const as = (partner: string, query: string, variables: Record<string, unknown> = {}) => gw.as(partner, keys[partner], query, variables);
  const legalToken = (issuer: string, kind: string, o: { subject?: string; deadline?: number; caseRef?: string } = {}) =>
    makeSet(keys[issuer], issuer, 'legal-request', {
      kind, legal_basis: 'Code of Criminal Procedure art. 126', case_reference: o.caseRef ?? `CASE-${kind}`, authority: 'District Court', justification: 'cash-out ring',
      ...(o.deadline ? { deadline: o.deadline } : {}),
    }, { subject: o.subject ?? SUBJECT });
  const ok = (res: GraphQLResponse) => {
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  async function submit(issuer: string, kind: string, o: Parameters<typeof legalToken>[2] = {}) {
    return ok(await as(issuer, SUBMIT, { t: await legalToken(issuer, kind, o) })).submitLegalRequest;
  }
  const refused = (res: GraphQLResponse, code: string, message: RegExp) => {
    expect(res.data).toBeNull();
    expect(codeOf(res)).toBe(code);
    expect(res.errors![0].message).toMatch(message);
  };
  const actions = (r: { history: Array<{ action: string }> }) => r.history.map((h) => h.action);

  async function ssf(partner: string, method: string, path: string, body?: unknown) {
    const res = await fetch(`${gw.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${await assertion(keys[partner], partner)}`, 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  it('creates a poll stream for court-a that asks for legal-request decisions', async () => {
    const made = await ssf('court-a', 'POST', '/ssf/streams', { events_requested: [DECISION], description: 'decisions on our requests' });
    expect(made.status).toBe(201);
    expect(made.body.events_delivered).toContain(DECISION);
    stream = made.body.stream_id;
  });

  it('a BANK can submit neither by publishEvents nor by submitLegalRequest; a court can, by both', async () => {
    const bankToken = await makeSet(keys['bank-x'], 'bank-x', 'legal-request', { kind: 'disclosure', legal_basis: 'x', case_reference: 'x', authority: 'x' });
    const published = ok(await as('bank-x', 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status code } }', { t: [bankToken] }));
    expect(published.publishEvents[0]).toEqual({ status: 'REJECTED', code: 'access_denied' });
    refused(await as('bank-x', SUBMIT, { t: bankToken }), 'FORBIDDEN', /lack the permission SubmitLegalRequests/);
    // Not a legal-request token, or not a token at all: refused before anything is stored.
    refused(await as('court-a', SUBMIT, { t: await signal(keys['court-a'], 'court-a') }), 'BAD_USER_INPUT', /must carry exactly one urn:risk-exchange:event:legal-request event, got urn:risk-exchange:event:risk-signal/);
    refused(await as('court-a', SUBMIT, { t: 'not-a-token' }), 'BAD_USER_INPUT', /not a compact JWT/);

    const d1 = await submit('court-a', 'disclosure', { caseRef: 'CASE-D1' });
    expect(d1).toMatchObject({ requester: 'court-a', kind: 'DISCLOSURE', subject: SUBJECT, status: 'SUBMITTED', approvals: 0, approvalsNeeded: 2, overdue: false });
    expect(actions(d1)).toEqual(['SUBMITTED']);
    // Its id is the stored legal-request event's id.
    const [event] = await sql.query('SELECT type, issuer FROM event WHERE id = $1', [d1.id]);
    expect(event).toEqual({ type: 'LEGAL_REQUEST', issuer: 'court-a' });
    ids.d1 = d1.id;
    // publishEvents opens a request too, under the event id it answers.
    const pub = ok(await as('court-a', 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status eventId } }', { t: [await legalToken('court-a', 'disclosure', { caseRef: 'CASE-D2' })] }));
    expect(pub.publishEvents[0].status).toBe('ACCEPTED');
    ids.d2 = pub.publishEvents[0].eventId;
    expect(ok(await as('court-a', READ, { id: ids.d2 })).legalRequest).toMatchObject({ id: ids.d2, status: 'SUBMITTED' });
  });

  it('a BANK cannot review, nor can the requester approve; reviewers can', async () => {
    for (const [query, variables] of [[QUEUE, {}], [START, { id: ids.d1 }], [APPROVE, { i: { id: ids.d1 } }], [REJECT, { i: { id: ids.d1, reason: 'no' } }], [READ, { id: ids.d1 }]] as const) {
      refused(await as('bank-x', query, variables), 'FORBIDDEN', /partners of kind BANK lack the permission/);
    }
    refused(await as('court-a', APPROVE, { i: { id: ids.d1 } }), 'FORBIDDEN', /lack the permission ReviewLegalRequests/);
    const queue = ok(await as('officer-1', QUEUE)).legalReviewQueue;
    expect(queue.edges.map((e: any) => e.node.id)).toEqual([ids.d1, ids.d2]);
    expect(ok(await as('officer-1', READ, { id: ids.d1 })).legalRequest.status).toBe('SUBMITTED');
  });

  it('four-eyes: a reviewer cannot approve twice; a second reviewer\'s approval decides, with the access window', async () => {
    const first = ok(await as('officer-1', APPROVE, { i: { id: ids.d1, comment: 'order checked' } })).approveLegalRequest;
    expect(first).toMatchObject({ status: 'UNDER_REVIEW', approvals: 1, approvalsNeeded: 2, accessUntil: null });
    expect(actions(first)).toEqual(['SUBMITTED', 'REVIEW_STARTED', 'APPROVAL']);
    expect(first.history[2]).toMatchObject({ actor: 'officer-1', reason: 'order checked' });

    refused(await as('officer-1', APPROVE, { i: { id: ids.d1 } }), 'FORBIDDEN', /officer-1 has already approved this request \(four-eyes/);
    expect(ok(await as('officer-1', READ, { id: ids.d1 })).legalRequest.approvals).toBe(1);

    const before = Date.now();
    const second = ok(await as('officer-2', APPROVE, { i: { id: ids.d1 } })).approveLegalRequest;
    expect(second).toMatchObject({ status: 'APPROVED', approvals: 2 });
    expect(actions(second)).toEqual(['SUBMITTED', 'REVIEW_STARTED', 'APPROVAL', 'APPROVAL', 'APPROVED']);
    // No deadline: LEGAL_DISCLOSURE_DAYS (30) after approval.
    const window = Date.parse(second.accessUntil) - Date.parse(second.decidedAt);
    expect(window).toBe(30 * 86_400_000);
    expect(Date.parse(second.decidedAt)).toBeGreaterThanOrEqual(before - 1000);
    // A third approval is a refused transition that names the state.
    refused(await as('operator', APPROVE, { i: { id: ids.d1 } }), 'CONFLICT', /^cannot approve: the request is APPROVED; approve needs SUBMITTED or UNDER_REVIEW$/);
  });

  it('two reviewers approving at the same moment are serialised: both count, one decision', async () => {
    const [a, b] = await Promise.all([as('officer-1', APPROVE, { i: { id: ids.d2 } }), as('officer-2', APPROVE, { i: { id: ids.d2 } })]);
    expect([a.errors, b.errors]).toEqual([undefined, undefined]);
    const r = ok(await as('court-a', READ, { id: ids.d2 })).legalRequest;
    expect(r).toMatchObject({ status: 'APPROVED', approvals: 2 });
    expect(actions(r).filter((x: string) => x === 'APPROVED')).toHaveLength(1);
    expect(actions(r).filter((x: string) => x === 'REVIEW_STARTED')).toHaveLength(1);
  });

  it('a rejection needs a reason; withdrawal works before a decision and is refused after it, naming the state', async () => {
    const d3 = await submit('court-a', 'disclosure', { caseRef: 'CASE-D3' });
    refused(await as('officer-1', REJECT, { i: { id: d3.id, reason: '   ' } }), 'BAD_USER_INPUT', /reason is required and must not be blank/);
    refused(await as('officer-1', REJECT, { i: { id: d3.id, reason: 'x'.repeat(2049) } }), 'BAD_USER_INPUT', /reason must be at most 2048 characters/);
    expect(ok(await as('court-a', READ, { id: d3.id })).legalRequest.status).toBe('SUBMITTED');
    const rejected = ok(await as('officer-1', REJECT, { i: { id: d3.id, reason: 'the order does not name this account' } })).rejectLegalRequest;
    expect(rejected.status).toBe('REJECTED');
    expect(rejected.history.at(-1)).toMatchObject({ action: 'REJECTED', actor: 'officer-1', fromStatus: 'UNDER_REVIEW', toStatus: 'REJECTED', reason: 'the order does not name this account' });
    refused(await as('court-a', WITHDRAW, { i: { id: d3.id } }), 'CONFLICT', /^cannot withdraw: the request is REJECTED; withdraw needs SUBMITTED or UNDER_REVIEW$/);
    ids.d3 = d3.id;

    const d4 = await submit('court-a', 'disclosure', { caseRef: 'CASE-D4' });
    refused(await as('court-b', WITHDRAW, { i: { id: d4.id } }), 'NOT_FOUND', /not found/);
    const withdrawn = ok(await as('court-a', WITHDRAW, { i: { id: d4.id, reason: 'case closed' } })).withdrawLegalRequest;
    expect(withdrawn).toMatchObject({ status: 'WITHDRAWN' });
    expect(withdrawn.history.at(-1)).toMatchObject({ action: 'WITHDRAWN', actor: 'court-a', reason: 'case closed' });
    refused(await as('officer-1', START, { id: d4.id }), 'CONFLICT', /^cannot start review: the request is WITHDRAWN; start review needs SUBMITTED$/);
    ids.d4 = d4.id;
  });

  it('an invalid transition names the current state; a valid one passes', async () => {
    const f1 = await submit('court-a', 'freeze', { caseRef: 'CASE-F1' });
    expect(f1.approvalsNeeded).toBe(2);
    expect(ok(await as('officer-1', START, { id: f1.id })).startLegalReview.status).toBe('UNDER_REVIEW');
    refused(await as('officer-2', START, { id: f1.id }), 'CONFLICT', /^cannot start review: the request is UNDER_REVIEW; start review needs SUBMITTED$/);
    // FREEZE is carried out by its own part (another branch): here it stops after one approval.
    expect(ok(await as('officer-2', APPROVE, { i: { id: f1.id } })).approveLegalRequest).toMatchObject({ status: 'UNDER_REVIEW', approvals: 1, approvalsNeeded: 2 });
    ids.f1 = f1.id;
  });

  it('the requester lists and reads its own with history; another court gets NOT_FOUND', async () => {
    const mine = ok(await as('court-a', MINE, {})).myLegalRequests;
    expect(mine.totalCount).toBe(5);
    expect(mine.edges.map((e: any) => e.node.id)).toEqual([ids.f1, ids.d4, ids.d3, ids.d2, ids.d1]); // newest first
    const paged = ok(await as('court-a', MINE, { first: 2 })).myLegalRequests;
    expect(paged.pageInfo.hasNextPage).toBe(true);
    const next = ok(await as('court-a', MINE, { first: 2, after: paged.pageInfo.endCursor })).myLegalRequests;
    expect(next.edges.map((e: any) => e.node.id)).toEqual([ids.d3, ids.d2]);
    expect(ok(await as('court-a', MINE, { f: { status: 'APPROVED' } })).myLegalRequests.edges.map((e: any) => e.node.id)).toEqual([ids.d2, ids.d1]);
    expect(ok(await as('court-a', MINE, { f: { kind: 'FREEZE' } })).myLegalRequests.edges.map((e: any) => e.node.id)).toEqual([ids.f1]);
    refused(await as('court-a', MINE, { after: 'bogus!' }), 'BAD_USER_INPUT', /after is not a cursor/);
    refused(await as('court-a', READ, { id: 'not-a-uuid' }), 'BAD_USER_INPUT', /id must be a legal request id \(a UUID\)/);

    const other = await submit('court-b', 'disclosure', { subject: OTHER, caseRef: 'CASE-B1' });
    ids.b1 = other.id;
    refused(await as('court-b', READ, { id: ids.d1 }), 'NOT_FOUND', new RegExp(`legal request ${ids.d1} not found`));
    refused(await as('court-a', READ, { id: ids.b1 }), 'NOT_FOUND', /not found/);
    expect(ok(await as('court-b', MINE, {})).myLegalRequests.edges.map((e: any) => e.node.id)).toEqual([ids.b1]);
    expect(ok(await as('court-b', READ, { id: ids.b1 })).legalRequest).toMatchObject({ requester: 'court-b', subject: OTHER });
  });

  it('the reviewers\' queue filters by status, kind, requester, subject and overdue; overdue requests are swept once and counted', async () => {
    const q = async (f: Record<string, unknown>) => ok(await as('officer-2', QUEUE, { f })).legalReviewQueue.edges.map((e: any) => e.node.id);
    expect(await q({})).toEqual([ids.f1, ids.b1]); // undecided, oldest first
    expect(await q({ status: ['APPROVED'] })).toEqual([ids.d1, ids.d2]);
    expect(await q({ status: ['REJECTED', 'WITHDRAWN'] })).toEqual([ids.d3, ids.d4]);
    expect(await q({ kind: ['FREEZE'] })).toEqual([ids.f1]);
    expect(await q({ requester: 'court-b' })).toEqual([ids.b1]);
    expect(await q({ subject: OTHER })).toEqual([ids.b1]);
    refused(await as('officer-2', QUEUE, { f: { requester: 'Not A Partner' } }), 'BAD_USER_INPUT', /requester must be a partner id/);

    const late = await submit('court-a', 'preservation', { caseRef: 'CASE-P1', deadline: Math.floor(Date.now() / 1000) + 2 });
    expect(late).toMatchObject({ overdue: false, approvalsNeeded: 1 });
    expect(await q({ overdue: true })).toEqual([]);
    const deadlines = gw.app.get(LegalDeadlines);
    expect((await deadlines.sweep()).overdue).toEqual([]);
    await new Promise((r) => setTimeout(r, Date.parse(late.deadline) - Date.now() + 300));
    expect(await q({ overdue: true })).toEqual([late.id]);
    expect(await q({ overdue: false })).toEqual([ids.f1, ids.b1]);
    // While another replica holds the sweep's lock, this one skips the round and changes nothing.
    const other = sql.createQueryRunner();
    await other.startTransaction();
    try {
      await other.query('SELECT pg_advisory_xact_lock($1)', [SWEEP_LOCK]);
      expect(await deadlines.sweep()).toEqual({ swept: false, overdue: [], expired: [], accessEnded: [] });
    } finally {
      await other.rollbackTransaction();
      await other.release();
    }
    const swept = await deadlines.sweep();
    expect(swept).toMatchObject({ swept: true, overdue: [late.id] });
    expect((await deadlines.sweep()).overdue).toEqual([]); // marked once
    const read = ok(await as('court-a', READ, { id: late.id })).legalRequest;
    expect(read).toMatchObject({ overdue: true, status: 'SUBMITTED' });
    expect(read.overdueAt).not.toBeNull();
    expect(actions(read)).toEqual(['SUBMITTED', 'OVERDUE']);
    const metrics = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${await assertion(keys.operator, 'operator')}` } })).text();
    expect(metrics).toMatch(/^rx_legal_overdue_requests 1$/m);
    ids.p1 = late.id;
  });

  it('an approved disclosure whose window closed unused expires; a fulfilled one gets ACCESS_ENDED once', async () => {
    await sql.query(`UPDATE legal_request SET access_until = now() - interval '1 second' WHERE id = $1`, [ids.d1]);
    // d2's disclosure package is issued (which fulfils it); then its window closes.
    expect(ok(await as('court-a', 'query($r: ID!) { legalDisclosurePackage(requestId: $r) { status } }', { r: ids.d2 })).legalDisclosurePackage.status).toBe('FULFILLED');
    await sql.query(`UPDATE legal_request SET access_until = now() - interval '1 second' WHERE id = $1`, [ids.d2]);
    const swept = await gw.app.get(LegalDeadlines).sweep();
    expect(swept).toMatchObject({ expired: [ids.d1], accessEnded: [ids.d2] });
    expect(await gw.app.get(LegalDeadlines).sweep()).toMatchObject({ expired: [], accessEnded: [] });
    const d1 = ok(await as('court-a', READ, { id: ids.d1 })).legalRequest;
    expect(d1.status).toBe('EXPIRED');
    expect(d1.history.at(-1)).toMatchObject({ action: 'EXPIRED', actor: 'system', fromStatus: 'APPROVED', toStatus: 'EXPIRED' });
    expect(actions(ok(await as('court-a', READ, { id: ids.d2 })).legalRequest).at(-1)).toBe('ACCESS_ENDED');
  });

  it('a release is asked only for the caller\'s fulfilled, unreleased FREEZE or PRESERVATION, once at a time', async () => {
    refused(await as('court-a', RELEASE, { i: { requestId: ids.d2, justification: 'done' } }), 'BAD_USER_INPUT', /is a DISCLOSURE; only a FREEZE or PRESERVATION can be released/);
    refused(await as('court-a', RELEASE, { i: { requestId: ids.f1, justification: 'done' } }), 'CONFLICT', /is UNDER_REVIEW; a release needs it FULFILLED/);
    refused(await as('court-b', RELEASE, { i: { requestId: ids.f1, justification: 'done' } }), 'NOT_FOUND', /not found/);
    refused(await as('court-a', RELEASE, { i: { requestId: ids.f1, justification: ' ' } }), 'BAD_USER_INPUT', /justification is required/);
    // The preservation is approved (one approval) and carried out at once.
    expect(ok(await as('officer-1', APPROVE, { i: { id: ids.p1 } })).approveLegalRequest).toMatchObject({ status: 'FULFILLED' });
    const release = ok(await as('court-a', RELEASE, { i: { requestId: ids.p1, justification: 'trial concluded' } })).requestLegalRelease;
    const [p1] = await sql.query('SELECT token FROM legal_request WHERE id = $1', [ids.p1]);
    expect(release).toMatchObject({ kind: 'RELEASE', status: 'SUBMITTED', releases: ids.p1, subject: SUBJECT, token: p1.token, approvalsNeeded: 2 });
    refused(await as('court-a', RELEASE, { i: { requestId: ids.p1, justification: 'again' } }), 'CONFLICT', new RegExp(`release ${release.id} of this request is already pending`));
    ids.r1 = release.id;
  });

  it('every transition is in the audit log and in the requester\'s own audit trail', async () => {
    const all = ok(await gw.asOperator(AUDIT, { f: { target: ids.d1 } })).auditLog.edges.map((e: any) => ({ ...e.node, details: JSON.parse(e.node.details) }));
    // Reviewers' reads of the request are audited too (legal.read, concerning the requester); the transitions are the rest.
    expect(all.filter((e: any) => e.action === 'legal.read').map((e: any) => e.actor)).toContain('officer-1');
    const log = all.filter((e: any) => e.action !== 'legal.read');
    const done = log.filter((e: any) => e.details.outcome === 'ok').map((e: any) => `${e.action}:${e.actor}:${e.details.action ?? 'submitted'}`).reverse();
    expect(done).toEqual([
      'legal.submit:system:submitted', 'legal.review:officer-1:REVIEW_STARTED', 'legal.review:officer-1:APPROVAL', 'legal.review:officer-2:APPROVAL',
      'legal.review:officer-2:APPROVED', 'legal.deadline:system:EXPIRED',
    ]);
    // The refused attempts are there too (bank-x and court-a without the permission, officer-1's second approval, the operator's late one).
    const refusals = log.filter((e: any) => e.details.outcome !== 'ok').map((e: any) => e.actor).sort();
    expect(refusals).toEqual(['bank-x', 'bank-x', 'bank-x', 'court-a', 'officer-1', 'operator']);
    const trail = ok(await as('court-a', TRAIL, { f: { target: ids.d1 } })).myAuditTrail.edges.map((e: any) => `${e.node.action}:${e.node.actor}`);
    expect(trail).toEqual(expect.arrayContaining(['legal.submit:system', 'legal.review:officer-1', 'legal.review:officer-2', 'legal.deadline:system', 'legal.read:officer-1']));
    expect(trail.length).toBeGreaterThanOrEqual(done.length);
    const others = ok(await gw.asOperator(AUDIT, { f: { target: ids.d3 } })).auditLog.edges.map((e: any) => e.node.action);
    expect(others).toContain('legal.review');
    expect(ok(await gw.asOperator(AUDIT, { f: { target: ids.d4 } })).auditLog.edges.map((e: any) => e.node.action)).toContain('legal.withdraw');
    expect(ok(await gw.asOperator(AUDIT, { f: { target: ids.p1 } })).auditLog.edges.map((e: any) => e.node.action)).toContain('legal.deadline');
    // court-b's trail shows none of court-a's requests.
    expect(ok(await as('court-b', TRAIL, { f: { target: ids.d1 } })).myAuditTrail.edges).toEqual([]);
  });

  it('the requester receives each decision as a signed notice on its stream', async () => {
    const res = await ssf('court-a', 'POST', `/ssf/poll/${stream}`, { maxEvents: 100, returnImmediately: true });
    expect(res.status).toBe(200);
    const jwks = createLocalJWKSet((await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet);
    const notices: Array<JWTPayload & Record<string, any>> = [];
    for (const token of Object.values(res.body.sets as Record<string, string>)) {
      notices.push((await jwtVerify(token, jwks, { issuer: ISSUER, audience: 'court-a', typ: 'secevent+jwt' })).payload as any);
    }
    const of = (id: string) => notices.map((n) => n.events[DECISION]).filter((e) => e.request_id === id).sort((a, b) => a.changed_at - b.changed_at);
    expect(of(ids.d1).map((e) => `${e.action}>${e.status}`).sort()).toEqual(['approved>approved', 'expired>expired', 'review_started>under_review'].sort());
    const approved = of(ids.d1).find((e) => e.action === 'approved');
    expect(approved).toMatchObject({ kind: 'disclosure', case_reference: 'CASE-D1' });
    expect(typeof approved.access_until).toBe('number');
    expect(of(ids.d3).find((e) => e.status === 'rejected')).toMatchObject({ reason: 'the order does not name this account' });
    expect(of(ids.d4).map((e) => e.status)).toEqual(['withdrawn']);
    const d1Notice = notices.find((n) => n.events[DECISION].request_id === ids.d1)!;
    expect(d1Notice.sub_id).toEqual({ format: 'opaque', id: SUBJECT });
    // Nothing of court-b's request reaches court-a.
    expect(of(ids.b1)).toEqual([]);
  });

  it('migrates legal-request events published before the workflow into SUBMITTED requests', async () => {
    const events = await sql.query(`SELECT id, issuer, subject, details->>'kind' AS kind FROM event WHERE type = 'LEGAL_REQUEST' ORDER BY id`);
    expect(events.length).toBe(7);
    const runner = sql.createQueryRunner();
    try {
      const migration = new AddLegalRequests1796004820877();
      await migration.down(runner); // the database as it was before the workflow, with its legal-request events
      await expect(sql.query('SELECT 1 FROM legal_request')).rejects.toThrow(/does not exist/);
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    const rows = await sql.query(`SELECT id, requester, subject, lower(kind) AS kind, status FROM legal_request ORDER BY id`);
    expect(rows).toEqual(events.map((e: any) => ({ id: e.id, requester: e.issuer, subject: e.subject, kind: e.kind, status: 'SUBMITTED' })));
    const read = ok(await as('court-a', READ, { id: ids.d1 })).legalRequest;
    expect(read).toMatchObject({ status: 'SUBMITTED', approvals: 0 });
    expect(read.history).toEqual([expect.objectContaining({ action: 'SUBMITTED', actor: 'court-a', details: JSON.stringify({ migrated: true }) })]);
  });
  it('the sweep runs on its own every LEGAL_SWEEP_SECONDS, on a replica of the same database', async () => {
    const replica = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0', LEGAL_SWEEP_SECONDS: '1' }, gw.operatorKey);
    try {
      const late = await submit('court-a', 'freeze', { caseRef: 'CASE-TIMER', deadline: Math.floor(Date.now() / 1000) + 1 });
      const until = Date.now() + 8000;
      let read = ok(await as('court-a', READ, { id: late.id })).legalRequest;
      while (!actions(read).includes('OVERDUE') && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 250));
        read = ok(await as('court-a', READ, { id: late.id })).legalRequest;
      }
      expect(actions(read)).toEqual(['SUBMITTED', 'OVERDUE']);
      expect(read.history[1].actor).toBe('system');
    } finally {
      await replica.close();
    }
  });
  it('four-eyes between people: no second approval through a key an approver planted on another officer, nor through officers an approver registered', async () => {
    const ADD_KEY = 'mutation($p: ID!, $j: String!) { addPartnerKey(partnerId: $p, jwk: $j) { id } }';
    const REGISTER = 'mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { id } }';
    keys['officer-3'] = await gw.registerPartner('officer-3', 'OPERATOR');
    const req = await submit('court-a', 'disclosure', { caseRef: 'CASE-INDEP-1' });
    expect(ok(await as('officer-1', APPROVE, { i: { id: req.id } })).approveLegalRequest).toMatchObject({ status: 'UNDER_REVIEW', approvals: 1 });
    // officer-1 adds a key of its own to officer-3 and signs as officer-3 with it: refused, naming why.
    const planted = await makeKey('officer-3-planted');
    ok(await as('officer-1', ADD_KEY, { p: 'officer-3', j: JSON.stringify(planted.publicJwk) }));
    refused(await gw.as('officer-3', planted, APPROVE, { i: { id: req.id } }), 'FORBIDDEN', /^cannot approve: the key officer-3-planted you signed with was added by officer-1, who is a party to this request/);
    // officer-3 is no longer independent of officer-1 at all, whatever key it uses.
    refused(await as('officer-3', APPROVE, { i: { id: req.id } }), 'FORBIDDEN', /^cannot approve: officer-1, a party to this request, registered you or added one of your keys/);
    // Sock puppets: two officers registered by officer-1 cannot make a pair, nor pair with it.
    for (const id of ['puppet-x', 'puppet-y']) {
      keys[id] = await makeKey(`${id}-k1`);
      ok(await as('officer-1', REGISTER, { input: { id, name: `Officer ${id}`, kind: 'OPERATOR', jwks: jwksOf(keys[id]) } }));
    }
    refused(await as('puppet-x', APPROVE, { i: { id: req.id } }), 'FORBIDDEN', /^cannot approve: officer-1, a party to this request, registered you/);
    const other = await submit('court-a', 'disclosure', { caseRef: 'CASE-INDEP-2' });
    expect(ok(await as('puppet-x', APPROVE, { i: { id: other.id } })).approveLegalRequest.approvals).toBe(1);
    refused(await as('puppet-y', APPROVE, { i: { id: other.id } }), 'FORBIDDEN', /^cannot approve: officer-1 registered or added keys to both you and puppet-x/);
    // Independent reviewers still decide (the bootstrap operator registers partners as its job).
    expect(ok(await as('operator', APPROVE, { i: { id: req.id } })).approveLegalRequest).toMatchObject({ status: 'APPROVED', approvals: 2 });
    expect(ok(await as('officer-2', APPROVE, { i: { id: other.id } })).approveLegalRequest).toMatchObject({ status: 'APPROVED', approvals: 2 });
  });
});
