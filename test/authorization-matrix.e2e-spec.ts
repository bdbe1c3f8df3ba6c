import 'reflect-metadata';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { GraphQLObjectType } from 'graphql';
import { DataSource } from 'typeorm';
import { insertPushStream } from './support/push-streams';
import { codeOf, GraphQLResponse, TestDatabase, TestGateway } from './support/app';
import { makeKey, TestKey } from './support/keys';
import { makeSet, signal, SUBJECT } from './support/sets';
import { assertion } from './support/keys';
import { createStream, enqueue, NoticeSocket } from './support/notices';
import { approveByReviewers } from './support/legal-approval';

/** A subscription as `caller`, answered by its first message (`next` data, or the refusal). */
async function overSocket(gw: TestGateway, caller: string, key: TestKey, query: string, variables: Record<string, unknown>): Promise<GraphQLResponse> {
  const socket = await NoticeSocket.open(gw.url, await assertion(key, caller));
  try {
    const id = socket.subscribe(query, variables);
    await socket.until(() => socket.of(id).length > 0, `the first message of ${query} as ${caller}`);
    const m = socket.of(id)[0];
    return m.type === 'next' ? { status: 200, data: m.payload.data, errors: m.payload.errors } : { status: 200, data: null, errors: m.payload };
  } finally {
    socket.close();
  }
}

/**
 * The authorization matrix, over HTTP: every operation for every partner kind; the sensitive
 * fields of Event for owner, non-owner, and grantee with and without evidence; and BOLA cases
 * with other partners' ids. A new operation or Event field fails this spec until it has an entry
 * below.
 *
 * Expectations are written out by hand from the README's permission table, never computed from
 * src/auth/permissions.ts: a permission given to the wrong kind in the code fails here. An
 * allowed call must succeed with no error at all (mutations included, with valid arguments and
 * their effect checked); a forbidden one must answer FORBIDDEN and nothing else.
 */
const ALL = ['operator', 'bank-a', 'shop-b', 'scorer-c', 'court-d'] as const;
type Caller = (typeof ALL)[number];
const OPERATOR: Caller[] = ['operator'];
const SHARERS: Caller[] = ['bank-a', 'shop-b', 'scorer-c'];
const PUBLISHERS: Caller[] = ['bank-a', 'shop-b', 'scorer-c', 'court-d'];
/** Partners that receive notices on streams of their own. */
const RECEIVERS: Caller[] = ['bank-a', 'shop-b', 'scorer-c', 'court-d'];
const EVERYONE: Caller[] = [...ALL];
/** Legal requesters, and who reads one request: its requester or a reviewer (the operator). */
const LEGAL: Caller[] = ['court-d'];
const LEGAL_OR_REVIEWER: Caller[] = ['operator', 'court-d'];

/** What setup prepared for each caller: ids, keys and tokens its calls use. */
type Fixtures = Record<string, string>;
interface Operation {
  /** Who may call it (the README's table). */
  allowed: Caller[];
  query: string;
  variables?: (f: Fixtures, caller: Caller) => Record<string, unknown>;
  /** For allowed calls: what the data must say (mutations: the effect). */
  check?: (data: any, caller: Caller, f: Fixtures) => boolean;
  /** A subscription: run over graphql-transport-ws, answered by its first message. */
  ws?: true;
}
const OPERATIONS: Record<string, Operation> = {
  'Query.me': { allowed: EVERYONE, query: '{ me { id } }', check: (d, c) => d.me.id === c },
  'Query.partners': { allowed: OPERATOR, query: '{ partners(first: 1) { totalCount } }', check: (d) => d.partners.totalCount >= 6 },
  'Query.partner': { allowed: OPERATOR, query: '{ partner(id: "bank-a") { id } }', check: (d) => d.partner.id === 'bank-a' },
  'Query.auditLog': { allowed: OPERATOR, query: '{ auditLog(first: 1) { edges { node { seq } } } }', check: (d) => d.auditLog.edges.length === 1 },
  'Query.myAuditTrail': { allowed: EVERYONE, query: '{ myAuditTrail(first: 1) { edges { node { seq } } } }', check: (d) => d.myAuditTrail.edges.length === 1 },
  'Query.latestAuditCheckpoint': { allowed: EVERYONE, query: '{ latestAuditCheckpoint { seq } }', check: (d) => d.latestAuditCheckpoint.seq >= 1 },
  'Query.verifyAudit': { allowed: OPERATOR, query: '{ verifyAudit(fromSeq: 1, toSeq: 1) { ok } }', check: (d) => d.verifyAudit.ok === true },
  'Query.verifyAuditCheckpoint': {
    allowed: EVERYONE,
    query: 'query($cp: String!) { verifyAuditCheckpoint(checkpoint: $cp) { ok } }',
    variables: (f) => ({ cp: f.checkpoint }),
    check: (d) => d.verifyAuditCheckpoint.ok === true,
  },
  'Query.myEvents': { allowed: EVERYONE, query: '{ myEvents(first: 1) { edges { node { issuer } } } }', check: (d, c) => d.myEvents.edges.every((e: any) => e.node.issuer === c) },
  'Query.event': { allowed: EVERYONE, query: 'query($id: ID!) { event(id: $id) { id } }', variables: (f) => ({ id: f.consortium }) },
  'Query.grantsGiven': { allowed: EVERYONE, query: '{ grantsGiven(first: 1) { edges { node { id } } } }' },
  'Query.grantsReceived': { allowed: EVERYONE, query: '{ grantsReceived(first: 1) { edges { node { id } } } }' },
  'Query.grants': { allowed: OPERATOR, query: '{ grants(first: 1) { edges { node { id } } } }', check: (d) => d.grants.edges.length === 1 },
  'Query.signals': { allowed: SHARERS, query: `{ signals(subject: "${SUBJECT}", first: 1) { edges { node { id } } } }`, check: (d) => d.signals.edges.length === 1 },
  'Query.flags': { allowed: SHARERS, query: `{ flags(subject: "${SUBJECT}", first: 1) { edges { node { id } } } }`, check: (d) => d.flags.edges.length === 1 },
  'Query.riskScore': { allowed: SHARERS, query: `{ riskScore(subject: "${SUBJECT}") { subject } }`, check: (d) => d.riskScore.subject === SUBJECT },
  'Query.riskScores': { allowed: SHARERS, query: `{ riskScores(subjects: ["${SUBJECT}"]) { subject } }`, check: (d) => d.riskScores.length === 1 },
  'Query.riskScoreHistory': { allowed: SHARERS, query: `{ riskScoreHistory(subject: "${SUBJECT}") { edges { node { tier } } } }` },
  // Push tokens: one's own; the operator acts for a publishing partner (its own kind cannot publish).
  'Query.pushTokens': {
    allowed: EVERYONE,
    query: 'query($p: ID) { pushTokens(partnerId: $p) { totalCount edges { node { partnerId } } } }',
    variables: (_f, c) => ({ p: tokenOwner(c) }),
    check: (d, c) => d.pushTokens.totalCount >= 1 && d.pushTokens.edges.every((e: any) => e.node.partnerId === tokenOwner(c)),
  },
  // Receiving notices: each receiving kind on its own poll stream (the operator tries bank-a's).
  'Query.notificationErrors': {
    allowed: PUBLISHERS,
    query: 'query($s: ID!) { notificationErrors(streamId: $s) { edges { node { jti } } } }',
    variables: (f, c) => ({ s: f[`notice-stream:${c}`] ?? f['notice-stream:bank-a'] }),
    check: (d) => Array.isArray(d.notificationErrors.edges),
  },
  'Subscription.notices': {
    allowed: PUBLISHERS,
    ws: true,
    query: 'subscription($s: ID!) { notices(streamId: $s) { jti } }',
    variables: (f, c) => ({ s: f[`notice-stream:${c}`] ?? f['notice-stream:bank-a'] }),
    check: (d, c, f) => d.notices.jti === f[`notice:${c}`],
  },
  'Query.deadLetters': {
    allowed: RECEIVERS,
    query: 'query($s: ID!) { deadLetters(streamId: $s) { totalCount } }',
    variables: (f, c) => ({ s: f[`push-stream:${c}`] ?? f['push-stream:bank-a'] }),
    check: (d) => d.deadLetters.totalCount === 0,
  },
  // Mutations, with arguments that succeed for an allowed caller; the effect is checked.
  'Mutation.registerPartner': {
    allowed: OPERATOR,
    query: 'mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { id kind } }',
    variables: (f, c) => ({ i: { id: `new-by-${c}`, name: 'New', kind: 'BANK', jwks: f[`jwks:${c}`] } }),
    check: (d, c) => d.registerPartner.id === `new-by-${c}` && d.registerPartner.kind === 'BANK',
  },
  'Mutation.addPartnerKey': {
    allowed: EVERYONE,
    query: 'mutation($p: ID!, $jwk: String!) { addPartnerKey(partnerId: $p, jwk: $jwk) { id keys { kid status } } }',
    variables: (f, c) => ({ p: c, jwk: f[`jwk:${c}`] }),
    check: (d, c) => d.addPartnerKey.id === c && d.addPartnerKey.keys.some((k: any) => k.kid === `${c}-added` && k.status === 'ACTIVE'),
  },
  'Mutation.revokePartnerKey': {
    allowed: EVERYONE,
    query: 'mutation($p: ID!, $kid: String!) { revokePartnerKey(partnerId: $p, kid: $kid) { id keys { kid status } } }',
    variables: (_f, c) => ({ p: c, kid: `${c}-spare` }),
    check: (d, c) => d.revokePartnerKey.keys.some((k: any) => k.kid === `${c}-spare` && k.status === 'REVOKED'),
  },
  'Mutation.acknowledgeNotices': {
    allowed: PUBLISHERS,
    query: 'mutation($s: ID!, $j: [ID!]!) { acknowledgeNotices(streamId: $s, jtis: $j) { acknowledged } }',
    variables: (f, c) => ({ s: f[`notice-stream:${c}`] ?? f['notice-stream:bank-a'], j: [f[`notice:${c}`] ?? f['notice:bank-a']] }),
    check: (d) => d.acknowledgeNotices.acknowledged === 1,
  },
  // Suspend before reactivate: the operator's reactivation then has something to do.
  'Mutation.suspendPartner': { allowed: OPERATOR, query: 'mutation { suspendPartner(id: "victim-v") { id status } }', check: (d) => d.suspendPartner.status === 'SUSPENDED' },
  'Mutation.reactivatePartner': { allowed: OPERATOR, query: 'mutation { reactivatePartner(id: "victim-v") { id status } }', check: (d) => d.reactivatePartner.status === 'ACTIVE' },
  'Mutation.createAuditCheckpoint': { allowed: OPERATOR, query: 'mutation { createAuditCheckpoint { seq } }', check: (d) => d.createAuditCheckpoint.seq >= 1 },
  'Mutation.publishEvents': {
    allowed: PUBLISHERS,
    query: 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status } }',
    variables: (f, c) => ({ t: [f[`set:${c}`]] }),
    check: (d) => d.publishEvents.length === 1 && d.publishEvents[0].status === 'ACCEPTED',
  },
  'Mutation.grantAccess': {
    allowed: SHARERS,
    query: 'mutation($i: GrantAccessInput!) { grantAccess(input: $i) { id grantee active } }',
    variables: (_f, c) => ({ i: { grantee: c === 'bank-a' ? 'shop-b' : 'bank-a', categories: ['cash_out'], includeEvidence: false, expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(), purpose: 'matrix' } }),
    check: (d, c) => d.grantAccess.grantee === (c === 'bank-a' ? 'shop-b' : 'bank-a') && d.grantAccess.active === true,
  },
  'Mutation.createPushToken': {
    allowed: EVERYONE,
    query: 'mutation($i: CreatePushTokenInput!) { createPushToken(input: $i) { token pushToken { partnerId status } } }',
    variables: (_f, c) => ({ i: { partnerId: tokenOwner(c), label: 'matrix' } }),
    check: (d, c) => /^rxp_/.test(d.createPushToken.token) && d.createPushToken.pushToken.partnerId === tokenOwner(c) && d.createPushToken.pushToken.status === 'ACTIVE',
  },
  'Mutation.revokePushToken': {
    allowed: EVERYONE,
    query: 'mutation($id: ID!) { revokePushToken(id: $id) { id status } }',
    variables: (f, c) => ({ id: f[`pushToken:${c}`] }),
    check: (d, c, f) => d.revokePushToken.id === f[`pushToken:${c}`] && d.revokePushToken.status === 'REVOKED',
  },
  'Mutation.updatePartnerSsf': {
    allowed: OPERATOR,
    query: 'mutation($i: UpdatePartnerSsfInput!) { updatePartnerSsf(input: $i) { id ssfIssuer } }',
    variables: () => ({ i: { partnerId: 'victim-v', ssfIssuer: 'https://idp.victim.example/', maxIatAgeSeconds: 86_400 } }),
    check: (d) => d.updatePartnerSsf.ssfIssuer === 'https://idp.victim.example/',
  },
  'Mutation.revokeGrant': {
    allowed: SHARERS,
    query: 'mutation($id: ID!) { revokeGrant(id: $id) { id active } }',
    variables: (f, c) => ({ id: f[`grant:${c}`] ?? f.grant }),
    check: (d, c, f) => d.revokeGrant.id === f[`grant:${c}`] && d.revokeGrant.active === false,
  },
  // SSF streams (the GraphQL mirror of /ssf/*): every kind that receives notices, on its own streams.
  'Query.streams': { allowed: PUBLISHERS, query: '{ streams(first: 5) { totalCount edges { node { streamId aud } } } }', check: (d, c) => d.streams.totalCount >= 1 && d.streams.edges.every((e: any) => e.node.aud === c) },
  'Query.stream': { allowed: PUBLISHERS, query: 'query($s: ID!) { stream(streamId: $s) { streamId aud } }', variables: (f, c) => ({ s: f[`stream:${c}`] ?? f['stream:bank-a'] }), check: (d, c) => d.stream.aud === c },
  'Query.deliveryStatus': { allowed: PUBLISHERS, query: 'query($s: ID!) { deliveryStatus(streamId: $s) { streamId backlog } }', variables: (f, c) => ({ s: f[`stream:${c}`] ?? f['stream:bank-a'] }), check: (d, c, f) => d.deliveryStatus.streamId === f[`stream:${c}`] },
  'Mutation.createStream': { allowed: PUBLISHERS, query: 'mutation { createStream(input: { description: "matrix" }) { aud deliveryMethod } }', check: (d, c) => d.createStream.aud === c && d.createStream.deliveryMethod === 'POLL' },
  'Mutation.updateStream': {
    allowed: PUBLISHERS,
    query: 'mutation($s: ID!) { updateStream(input: { streamId: $s, description: "changed" }) { streamId description } }',
    variables: (f, c) => ({ s: f[`stream:${c}`] ?? f['stream:bank-a'] }),
    check: (d) => d.updateStream.description === 'changed',
  },
  'Mutation.setStreamStatus': {
    allowed: PUBLISHERS,
    query: 'mutation($s: ID!) { setStreamStatus(input: { streamId: $s, status: ENABLED, reason: "matrix" }) { status reason } }',
    variables: (f, c) => ({ s: f[`stream:${c}`] ?? f['stream:bank-a'] }),
    check: (d) => d.setStreamStatus.status === 'ENABLED' && d.setStreamStatus.reason === 'matrix',
  },
  'Mutation.addStreamSubjects': {
    allowed: PUBLISHERS,
    query: 'mutation($s: ID!) { addStreamSubjects(input: { streamId: $s, subjects: ["v1:matrix-subject-1", "v1:matrix-subject-2"] }) { subjectCount } }',
    variables: (f, c) => ({ s: f[`stream:${c}`] ?? f['stream:bank-a'] }),
    check: (d) => d.addStreamSubjects.subjectCount === 2,
  },
  'Mutation.removeStreamSubjects': {
    allowed: PUBLISHERS,
    query: 'mutation($s: ID!) { removeStreamSubjects(input: { streamId: $s, subjects: ["v1:matrix-subject-1"] }) { subjectCount } }',
    variables: (f, c) => ({ s: f[`stream:${c}`] ?? f['stream:bank-a'] }),
    check: (d) => d.removeStreamSubjects.subjectCount === 1,
  },
  'Mutation.verifyStream': {
    allowed: PUBLISHERS,
    query: 'mutation($s: ID!) { verifyStream(input: { streamId: $s, state: "matrix" }) { streamId jti } }',
    variables: (f, c) => ({ s: f[`stream:${c}`] ?? f['stream:bank-a'] }),
    check: (d, c, f) => d.verifyStream.streamId === f[`stream:${c}`],
  },
  'Mutation.deleteStream': { allowed: PUBLISHERS, query: 'mutation($s: ID!) { deleteStream(streamId: $s) }', variables: (f, c) => ({ s: f[`stream-del:${c}`] ?? f['stream-del:bank-a'] }), check: (d, c, f) => d.deleteStream === f[`stream-del:${c}`] },
  'Mutation.replayDeadLetters': {
    allowed: RECEIVERS,
    query: 'mutation($s: ID!) { replayDeadLetters(streamId: $s) { replayed held } }',
    variables: (f, c) => ({ s: f[`push-stream:${c}`] ?? f['push-stream:bank-a'] }),
    check: (d) => d.replayDeadLetters.replayed === 0 && d.replayDeadLetters.held === false,
  },
  // Legal requests: court-d's own (one per mutation, made in setup); OPERATOR reviewers decide.
  'Mutation.submitLegalRequest': {
    allowed: LEGAL,
    query: 'mutation($t: String!) { submitLegalRequest(token: $t) { requester status } }',
    variables: (f) => ({ t: f['legal:token'] }),
    check: (d, c) => d.submitLegalRequest.requester === c && d.submitLegalRequest.status === 'SUBMITTED',
  },
  'Query.myLegalRequests': {
    allowed: LEGAL,
    query: '{ myLegalRequests(first: 100) { totalCount edges { node { requester } } } }',
    check: (d, c) => d.myLegalRequests.totalCount >= 6 && d.myLegalRequests.edges.every((e: any) => e.node.requester === c),
  },
  'Query.legalRequest': {
    allowed: LEGAL_OR_REVIEWER,
    query: 'query($id: ID!) { legalRequest(id: $id) { id requester } }',
    variables: (f) => ({ id: f['legal:read'] }),
    check: (d, _c, f) => d.legalRequest.id === f['legal:read'] && d.legalRequest.requester === 'court-d',
  },
  'Query.legalReviewQueue': { allowed: OPERATOR, query: '{ legalReviewQueue(first: 100) { totalCount } }', check: (d) => d.legalReviewQueue.totalCount >= 4 },
  'Mutation.startLegalReview': {
    allowed: OPERATOR,
    query: 'mutation($id: ID!) { startLegalReview(id: $id) { status } }',
    variables: (f) => ({ id: f['legal:start'] }),
    check: (d) => d.startLegalReview.status === 'UNDER_REVIEW',
  },
  'Mutation.approveLegalRequest': {
    allowed: OPERATOR,
    query: 'mutation($id: ID!) { approveLegalRequest(input: { id: $id }) { status approvals } }',
    variables: (f) => ({ id: f['legal:approve'] }),
    check: (d) => d.approveLegalRequest.status === 'UNDER_REVIEW' && d.approveLegalRequest.approvals === 1,
  },
  'Mutation.rejectLegalRequest': {
    allowed: OPERATOR,
    query: 'mutation($id: ID!) { rejectLegalRequest(input: { id: $id, reason: "matrix" }) { status } }',
    variables: (f) => ({ id: f['legal:reject'] }),
    check: (d) => d.rejectLegalRequest.status === 'REJECTED',
  },
  'Mutation.withdrawLegalRequest': {
    allowed: LEGAL,
    query: 'mutation($id: ID!) { withdrawLegalRequest(input: { id: $id }) { status } }',
    variables: (f) => ({ id: f['legal:withdraw'] }),
    check: (d) => d.withdrawLegalRequest.status === 'WITHDRAWN',
  },
  'Mutation.requestLegalRelease': {
    allowed: LEGAL,
    query: 'mutation($id: ID!) { requestLegalRelease(input: { requestId: $id, justification: "matrix" }) { kind releases } }',
    variables: (f) => ({ id: f['legal:preserve'] }),
    check: (d, _c, f) => d.requestLegalRelease.kind === 'RELEASE' && d.requestLegalRelease.releases === f['legal:preserve'],
  },
  'Query.disclosedEvents': {
    allowed: ['court-d'],
    query: 'query($r: ID!) { disclosedEvents(requestId: $r, first: 1) { edges { node { id token redactedFields } } } }',
    variables: (f) => ({ r: f.disclosure }),
    check: (d) => d.disclosedEvents.edges.length === 1 && d.disclosedEvents.edges[0].node.token !== null,
  },
  'Query.disclosedScoreHistory': { allowed: ['court-d'], query: 'query($r: ID!) { disclosedScoreHistory(requestId: $r) { edges { node { tier } } } }', variables: (f) => ({ r: f.disclosure }) },
  'Query.legalDisclosurePackage': {
    allowed: ['court-d'],
    query: 'query($r: ID!) { legalDisclosurePackage(requestId: $r) { status events } }',
    variables: (f) => ({ r: f.disclosure }),
    check: (d) => d.legalDisclosurePackage.status === 'FULFILLED' && d.legalDisclosurePackage.events >= 4,
  },
};

/** Give-to-get (GIVE_TO_GET_MIN_EVENTS set for the sharing kinds): reads of partner-derived data need a contribution. */
const PARTNER_DERIVED = ['Query.signals', 'Query.flags', 'Query.riskScore', 'Query.riskScores', 'Query.riskScoreHistory', 'Query.streams'];

/** Every field of Event: public (seen by whoever sees the event) or sensitive (issuer and evidence grantees only). */
const EVENT_FIELDS: Record<string, 'public' | 'sensitive'> = {
  id: 'public', issuer: 'public', jti: 'public', subject: 'public', type: 'public', category: 'public', action: 'public', score: 'public',
  confidence: 'public', distribution: 'public', observedAt: 'public', issuedAt: 'public', effectiveAt: 'public', expiresAt: 'public',
  txn: 'public', targetJti: 'public', details: 'public', receivedAt: 'public', status: 'public', statusChangedAt: 'public',
  statusChangedBy: 'public', redactedFields: 'public', evidence: 'sensitive', token: 'sensitive', reasonCodes: 'sensitive',
};

/** Whose push tokens a caller manages in the matrix: its own, or (the operator) a publishing partner's. */
const tokenOwner = (c: Caller) => (c === 'operator' ? 'victim-v' : c);

const KIND_OF: Record<Caller, string> = { operator: 'OPERATOR', 'bank-a': 'BANK', 'shop-b': 'ECOMMERCE', 'scorer-c': 'INTERNAL_SCORER', 'court-d': 'LEGAL' };

describe('authorization matrix (e2e, over HTTP)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  const keys: Record<string, TestKey> = {};
  const ids: Fixtures = {};
  let cases = 0;

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0' });
    keys.operator = gw.operatorKey;
    for (const id of ALL) if (id !== 'operator') keys[id] = await gw.registerPartner(id, KIND_OF[id]);
    await gw.registerPartner('victim-v', 'BANK');
    const k = keys['bank-a'];
    const published = await gw.as('bank-a', k, 'mutation($t: [String!]!) { publishEvents(tokens: $t) { eventId } }', {
      t: [
        await signal(k, 'bank-a', { category: 'cash_out', distribution: 'consortium' }),
        await signal(k, 'bank-a', { category: 'high_velocity', distribution: 'granted' }),
        await signal(k, 'bank-a', { category: 'merchant_collusion', distribution: 'issuer_only' }),
        await makeSet(k, 'bank-a', 'account-flag', { action: 'restrict' }),
      ],
    });
    [ids.consortium, ids.granted, ids.issuerOnly, ids.flag] = published.data!.publishEvents.map((r: any) => r.eventId);
    const exp = new Date(Date.now() + 365 * 86_400_000).toISOString();
    const grant = 'mutation($i: GrantAccessInput!) { grantAccess(input: $i) { id } }';
    const g = await gw.as('bank-a', k, grant, { i: { grantee: 'scorer-c', categories: ['high_velocity', 'cash_out'], includeEvidence: true, expiresAt: exp, purpose: 'matrix' } });
    ids.grant = g.data!.grantAccess.id;
    await gw.as('bank-a', k, grant, { i: { grantee: 'shop-b', categories: ['high_velocity'], includeEvidence: false, expiresAt: exp, purpose: 'matrix' } });
    // What each caller's allowed mutations act on: a spare key to revoke, a new key to add, a
    // partner to register, a token to publish, a grant of its own to revoke.
    for (const c of ALL) {
      const spare = await makeKey(`${c}-spare`);
      const added = await gw.asOperator('mutation($p: ID!, $jwk: String!) { addPartnerKey(partnerId: $p, jwk: $jwk) { id } }', { p: c, jwk: JSON.stringify(spare.publicJwk) });
      expect(added.errors).toBeUndefined();
      ids[`jwk:${c}`] = JSON.stringify((await makeKey(`${c}-added`)).publicJwk);
      ids[`jwks:${c}`] = JSON.stringify({ keys: [(await makeKey(`new-by-${c}-k1`)).publicJwk] });
      const pushToken = await gw.as(c, keys[c], 'mutation($i: CreatePushTokenInput!) { createPushToken(input: $i) { pushToken { id } } }', { i: { partnerId: tokenOwner(c) } });
      expect(pushToken.errors).toBeUndefined();
      ids[`pushToken:${c}`] = pushToken.data!.createPushToken.pushToken.id;
      ids[`set:${c}`] = await signal(keys[c], c, { category: 'other', distribution: 'issuer_only' }, { subject: 'v1:matrix-own-subject' });
      // A push stream of its own, to a receiver never reached (for the dead-letter operations).
      if (RECEIVERS.includes(c)) ids[`push-stream:${c}`] = (await insertPushStream(gw.app.get(DataSource), c, 'https://receiver.invalid/events')).id;
      if (SHARERS.includes(c)) {
        const own = await gw.as(c, keys[c], grant, { i: { grantee: c === 'scorer-c' ? 'shop-b' : 'scorer-c', categories: ['money_mule'], includeEvidence: false, expiresAt: exp, purpose: 'to revoke' } });
        expect(own.errors).toBeUndefined();
        ids[`grant:${c}`] = own.data!.grantAccess.id;
      }
    }
    ids.bankPushToken = (await gw.as('bank-a', k, 'mutation { createPushToken(input: { label: "bola" }) { pushToken { id } } }')).data!.createPushToken.pushToken.id;
    // A stream of each receiving kind for the stream operations, and one more to delete.
    for (const c of PUBLISHERS) {
      for (const name of ['stream', 'stream-del']) {
        const made = await gw.as(c, keys[c], 'mutation { createStream(input: {}) { streamId } }');
        expect(made.errors).toBeUndefined();
        ids[`${name}:${c}`] = made.data!.createStream.streamId;
      }
    }
    // A poll stream for each receiving kind, with one pending notice (the subscription receives it, the mutation acknowledges it).
    for (const c of PUBLISHERS) {
      const stream = await createStream(gw.app.get(DataSource), c);
      ids[`notice-stream:${c}`] = stream.id;
      [ids[`notice:${c}`]] = await enqueue(gw.app.get(DataSource), stream, 1);
    }
    // court-d's legal requests for the legal operations: one to read, one per mutation, and a
    // preservation approved here (one approval) so that a release can be asked.
    const legal = (kind: string) => makeSet(keys['court-d'], 'court-d', 'legal-request', { kind, legal_basis: 'art. 1', case_reference: 'MATRIX', authority: 'Court' });
    const opened = await gw.as('court-d', keys['court-d'], 'mutation($t: [String!]!) { publishEvents(tokens: $t) { eventId } }', {
      t: await Promise.all(['disclosure', 'disclosure', 'disclosure', 'disclosure', 'disclosure', 'preservation'].map(legal)),
    });
    [ids['legal:read'], ids['legal:start'], ids['legal:approve'], ids['legal:reject'], ids['legal:withdraw'], ids['legal:preserve']] = opened.data!.publishEvents.map((r: any) => r.eventId);
    const officer = await gw.registerPartner('officer-2', 'OPERATOR'); // the second reviewer of the four-eyes pair (not a matrix caller)
    const reviewers = [{ id: 'operator', key: gw.operatorKey }, { id: 'officer-2', key: officer }];
    expect(await approveByReviewers(gw, ids['legal:preserve'], reviewers)).toBe('FULFILLED'); // so that a release can be asked
    ids['legal:token'] = await legal('disclosure');
    // court-d's approved disclosure of SUBJECT (for the disclosure reads).
    const disclosure = await gw.as('court-d', keys['court-d'], 'mutation($t: [String!]!) { publishEvents(tokens: $t) { eventId } }', {
      t: [await makeSet(keys['court-d'], 'court-d', 'legal-request', { kind: 'disclosure', legal_basis: 'Art. 1', case_reference: 'MATRIX-1', authority: 'Court' })],
    });
    ids.disclosure = disclosure.data!.publishEvents[0].eventId;
    expect(await approveByReviewers(gw, ids.disclosure, reviewers)).toBe('APPROVED');
    const cp = await gw.asOperator('mutation { createAuditCheckpoint { jws } }');
    ids.checkpoint = cp.data!.createAuditCheckpoint.jws;
  });
  afterAll(async () => {
    process.stdout.write(`authorization matrix: ${cases} cases\n`);
    await gw?.close();
    await db?.drop();
  });

  it('has an entry for every operation of the schema, and for every field of Event', () => {
    const schema = gw.app.get(GraphQLSchemaHost).schema;
    const ops = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]
      .filter((t): t is GraphQLObjectType => !!t)
      .flatMap((t) => Object.keys(t.getFields()).map((f) => `${t.name}.${f}`));
    expect(ops.sort()).toEqual(Object.keys(OPERATIONS).sort());
    const eventFields = Object.keys((schema.getType('Event') as GraphQLObjectType).getFields());
    expect(eventFields.sort()).toEqual(Object.keys(EVENT_FIELDS).sort());
  });

  it('lets each kind call exactly what the README table allows: allowed calls succeed with no error, others are FORBIDDEN', async () => {
    const failures: string[] = [];
    const seen: Record<string, number> = { allowed: 0, forbidden: 0 };
    for (const [op, o] of Object.entries(OPERATIONS)) {
      for (const caller of ALL) {
        cases++;
        const res: GraphQLResponse = o.ws ? await overSocket(gw, caller, keys[caller], o.query, o.variables?.(ids, caller) ?? {}) : await gw.as(caller, keys[caller], o.query, o.variables?.(ids, caller) ?? {});
        if (o.allowed.includes(caller)) {
          seen.allowed++;
          if (res.status !== 200 || res.errors !== undefined || res.data === null) failures.push(`${op} as ${caller}: allowed, but answered ${res.status} ${JSON.stringify(res.errors)}`);
          else if (o.check && !o.check(res.data, caller, ids)) failures.push(`${op} as ${caller}: allowed, but the data is wrong: ${JSON.stringify(res.data)}`);
        } else {
          seen.forbidden++;
          if (codeOf(res) !== 'FORBIDDEN' || res.errors!.length !== 1) failures.push(`${op} as ${caller}: forbidden, but answered ${codeOf(res) ?? 'ok'} ${JSON.stringify(res.data)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    // 49 operations x 5 kinds: 10 for everyone (50), 10 operator-only (10), 7 for the three
    // sharing kinds (21), publishEvents, the 10 stream, 3 notice and 2 dead-letter operations for
    // four kinds (64), the 3 push-token operations for all five (15).
    // Legal, 9 operations x 5 kinds: 4 for LEGAL (4), 4 for reviewers (4), legalRequest for both (2);
    // the 3 disclosure reads for LEGAL (3).
    expect(seen).toEqual({ allowed: 173, forbidden: 117 });
    // The forbidden mutations changed nothing: only the operator's registration happened, and
    // the suspended-then-reactivated partner is active.
    const partners = await gw.asOperator('{ partners(first: 100) { edges { node { id status } } } }');
    expect(partners.data!.partners.edges.map((e: any) => e.node.id).filter((id: string) => id.startsWith('new-by-'))).toEqual(['new-by-operator']);
    expect(partners.data!.partners.edges.find((e: any) => e.node.id === 'victim-v').node.status).toBe('ACTIVE');
  });

  describe('give-to-get (GIVE_TO_GET_MIN_EVENTS for every sharing kind)', () => {
    let g2g: TestGateway;
    const fresh: Record<string, TestKey> = {};

    beforeAll(async () => {
      // A second replica on the same database, configured with give-to-get.
      g2g = await TestGateway.start(db, { GIVE_TO_GET_MIN_EVENTS: 'BANK=1,ECOMMERCE=1,INTERNAL_SCORER=1', AUDIT_CHECKPOINT_SECONDS: '0' }, gw.operatorKey);
      for (const [id, kind] of [['bank-n', 'BANK'], ['shop-n', 'ECOMMERCE'], ['scorer-n', 'INTERNAL_SCORER']]) fresh[id] = await g2g.registerPartner(id, kind);
    });
    afterAll(async () => {
      await g2g?.close();
    });

    const expectContributionRequired = async (op: string) => {
      const failures: string[] = [];
      for (const [id, key] of Object.entries(fresh)) {
        cases++;
        const res = await g2g.as(id, key, OPERATIONS[op].query, {});
        if (codeOf(res) !== 'CONTRIBUTION_REQUIRED' || res.data?.[op.split('.')[1]] != null) failures.push(`${op} as ${id} (no contribution): ${codeOf(res) ?? 'ok'}`);
      }
      // A partner that has published reads it.
      const contributor = await g2g.as('bank-a', keys['bank-a'], OPERATIONS[op].query, {});
      if (contributor.errors) failures.push(`${op} as bank-a (published 4 events): ${JSON.stringify(contributor.errors)}`);
      expect(failures).toEqual([]);
    };

    it.each(PARTNER_DERIVED.filter((op) => op !== 'Query.riskScoreHistory'))('%s answers CONTRIBUTION_REQUIRED to a partner with no contribution', async (op) => {
      await expectContributionRequired(op);
      const res = await g2g.as('bank-n', fresh['bank-n'], OPERATIONS[op].query, {});
      expect(res.errors![0].message).toBe("give-to-get: publish at least 1 events in 30 days to read other partners' data; you have published 0. Publish 1 more with publishEvents.");
    });

    // Separate, so that it names itself when it fails: riskScoreHistory reads the causes of
    // other partners' events too.
    it('Query.riskScoreHistory answers CONTRIBUTION_REQUIRED to a partner with no contribution', async () => {
      await expectContributionRequired('Query.riskScoreHistory');
    });

    it('leaves the partner\'s own reads open without a contribution', async () => {
      for (const op of ['Query.me', 'Query.myEvents', 'Query.grantsReceived', 'Query.myAuditTrail']) {
        for (const [id, key] of Object.entries(fresh)) {
          const res = await g2g.as(id, key, OPERATIONS[op].query, {});
          expect([op, id, res.errors]).toEqual([op, id, undefined]);
        }
      }
    });
  });

  it('shows sensitive Event fields only to the issuer and to grantees with includeEvidence', async () => {
    const q = `query($id: ID!) { event(id: $id) { ${Object.keys(EVENT_FIELDS).join(' ')} } }`;
    // [viewer, event, expectation]: hidden = null event; masked = sensitive fields null; full = all present.
    const expectations: Array<[string, string, 'hidden' | 'masked' | 'full']> = [
      ['bank-a', 'consortium', 'full'], ['bank-a', 'granted', 'full'], ['bank-a', 'issuerOnly', 'full'], ['bank-a', 'flag', 'full'],
      ['shop-b', 'consortium', 'masked'], ['shop-b', 'granted', 'masked'], ['shop-b', 'issuerOnly', 'hidden'], ['shop-b', 'flag', 'masked'],
      ['scorer-c', 'consortium', 'full'], ['scorer-c', 'granted', 'full'], ['scorer-c', 'issuerOnly', 'hidden'], ['scorer-c', 'flag', 'masked'],
      ['court-d', 'consortium', 'hidden'], ['court-d', 'granted', 'hidden'], ['court-d', 'issuerOnly', 'hidden'], ['court-d', 'flag', 'hidden'],
      ['operator', 'consortium', 'hidden'], ['operator', 'granted', 'hidden'], ['operator', 'issuerOnly', 'hidden'], ['operator', 'flag', 'hidden'],
    ];
    const failures: string[] = [];
    for (const [viewer, which, expected] of expectations) {
      cases++;
      const event = (await gw.as(viewer, keys[viewer], q, { id: ids[which] })).data?.event;
      const got = event === null ? 'hidden' : Object.entries(EVENT_FIELDS).every(([f, c]) => c === 'public' || event[f] === null) ? 'masked' : 'full';
      if (got !== expected) failures.push(`${viewer} reading ${which}: ${got}, expected ${expected}`);
      if (got === 'masked' && event.redactedFields.join() !== 'evidence,token,reasonCodes') failures.push(`${viewer} reading ${which}: redactedFields ${event.redactedFields}`);
      if (got === 'full' && (event.token === null || event.redactedFields.length)) failures.push(`${viewer} reading ${which}: token missing`);
    }
    expect(failures).toEqual([]);
  });

  it("BOLA: ids of other partners' events, grants and keys get nothing", async () => {
    const failures: string[] = [];
    const check = async (label: string, partner: string, query: string, variables: Record<string, unknown>, ok: (res: any) => boolean) => {
      cases++;
      const res = await gw.as(partner, keys[partner], query, variables);
      if (!ok(res)) failures.push(`${label} as ${partner}: ${JSON.stringify(res.errors ?? res.data)}`);
    };
    for (const p of ['shop-b', 'scorer-c', 'court-d']) {
      await check('issuer_only event', p, 'query($id: ID!) { event(id: $id) { id } }', { id: ids.issuerOnly }, (r) => r.data?.event === null);
      await check("another's grant", p, 'mutation($id: ID!) { revokeGrant(id: $id) { id } }', { id: ids.grant }, (r) => ['NOT_FOUND', 'FORBIDDEN'].includes(codeOf(r) ?? ''));
      await check("another's key", p, 'mutation { revokePartnerKey(partnerId: "bank-a", kid: "bank-a-k1") { id } }', {}, (r) => codeOf(r) === 'FORBIDDEN');
      await check("another's key rotation", p, 'mutation($jwk: String!) { addPartnerKey(partnerId: "bank-a", jwk: $jwk) { id } }', { jwk: JSON.stringify(keys[p].publicJwk) }, (r) => codeOf(r) === 'FORBIDDEN');
      await check("another's push tokens", p, '{ pushTokens(partnerId: "bank-a") { totalCount } }', {}, (r) => codeOf(r) === 'FORBIDDEN');
      await check("a push token for another", p, 'mutation { createPushToken(input: { partnerId: "bank-a" }) { token } }', {}, (r) => codeOf(r) === 'FORBIDDEN');
      await check("another's push token", p, 'mutation($id: ID!) { revokePushToken(id: $id) { id } }', { id: ids.bankPushToken }, (r) => codeOf(r) === 'NOT_FOUND');
      await check("another's events list", p, '{ myEvents(first: 100) { edges { node { issuer } } } }', {}, (r) => r.data?.myEvents.edges.every((e: any) => e.node.issuer === p));
    }
    // The grant and the key are intact, and their owner still reaches them.
    const own = await gw.as('bank-a', keys['bank-a'], '{ grantsGiven(first: 10) { edges { node { id active } } } me { keys { kid status } } }');
    expect(own.data!.grantsGiven.edges.find((e: any) => e.node.id === ids.grant).node.active).toBe(true);
    const tokens = await gw.as('bank-a', keys['bank-a'], '{ pushTokens(first: 100) { edges { node { id status } } } }');
    expect(tokens.data!.pushTokens.edges.find((e: any) => e.node.id === ids.bankPushToken).node.status).toBe('ACTIVE');
    // (bank-a rotated its own keys in the matrix: added one, revoked its spare.)
    expect(own.data!.me.keys.map((k: any) => `${k.kid}:${k.status}`).sort()).toEqual(['bank-a-added:ACTIVE', 'bank-a-k1:ACTIVE', 'bank-a-spare:REVOKED']);
    expect(failures).toEqual([]);
  });
});
