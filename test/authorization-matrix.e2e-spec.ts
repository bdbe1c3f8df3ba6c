import 'reflect-metadata';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { GraphQLObjectType } from 'graphql';
import { codeOf, TestDatabase, TestGateway } from './support/app';
import { TestKey } from './support/keys';
import { makeSet, signal, SUBJECT } from './support/sets';
import { RESOLVERS } from '../src/graphql/resolvers';
import { PERMISSIONS_KEY } from '../src/auth/decorators';
import { kindHas, Permission } from '../src/auth/permissions';
import { PartnerKind } from '../src/partners/partner.enums';

/**
 * The authorization matrix, generated from the live schema: every operation for every partner
 * kind, over HTTP; the sensitive fields of Event for owner, non-owner, and grantee with and
 * without evidence; and BOLA cases with other partners' ids. A new operation or Event field
 * fails this spec until it has an entry below.
 */
type Sample = { query: string; variables?: (ids: Record<string, string>, caller: string) => Record<string, unknown> };
const OPERATIONS: Record<string, Sample> = {
  'Query.me': { query: '{ me { id } }' },
  'Query.partners': { query: '{ partners(first: 1) { totalCount } }' },
  'Query.partner': { query: '{ partner(id: "bank-a") { id } }' },
  'Query.auditLog': { query: '{ auditLog(first: 1) { edges { node { seq } } } }' },
  'Query.myAuditTrail': { query: '{ myAuditTrail(first: 1) { edges { node { seq } } } }' },
  'Query.latestAuditCheckpoint': { query: '{ latestAuditCheckpoint { seq } }' },
  'Query.verifyAudit': { query: '{ verifyAudit(fromSeq: 1, toSeq: 1) { ok } }' },
  'Query.verifyAuditCheckpoint': { query: '{ verifyAuditCheckpoint(checkpoint: "x.y.z") { ok } }' },
  'Query.myEvents': { query: '{ myEvents(first: 1) { edges { node { id } } } }' },
  'Query.event': { query: 'query($id: ID!) { event(id: $id) { id } }', variables: (ids) => ({ id: ids.consortium }) },
  'Query.grantsGiven': { query: '{ grantsGiven(first: 1) { edges { node { id } } } }' },
  'Query.grantsReceived': { query: '{ grantsReceived(first: 1) { edges { node { id } } } }' },
  'Query.grants': { query: '{ grants(first: 1) { edges { node { id } } } }' },
  'Query.signals': { query: `{ signals(subject: "${SUBJECT}", first: 1) { edges { node { id } } } }` },
  'Query.flags': { query: `{ flags(subject: "${SUBJECT}", first: 1) { edges { node { id } } } }` },
  'Query.riskScore': { query: `{ riskScore(subject: "${SUBJECT}") { score } }` },
  'Query.riskScores': { query: `{ riskScores(subjects: ["${SUBJECT}"]) { score } }` },
  'Query.riskScoreHistory': { query: `{ riskScoreHistory(subject: "${SUBJECT}") { edges { node { tier } } } }` },
  // Mutations: arguments that pass authorization but fail validation, so nothing changes.
  'Mutation.registerPartner': { query: 'mutation { registerPartner(input: { id: "X", name: "x", kind: BANK, jwks: "{}" }) { id } }' },
  // Own keys here; other partners' keys are the BOLA cases below.
  'Mutation.addPartnerKey': { query: 'mutation($p: ID!) { addPartnerKey(partnerId: $p, jwk: "{}") { id } }', variables: (_ids, caller) => ({ p: caller }) },
  'Mutation.revokePartnerKey': { query: 'mutation($p: ID!) { revokePartnerKey(partnerId: $p, kid: "no-such-kid") { id } }', variables: (_ids, caller) => ({ p: caller }) },
  'Mutation.suspendPartner': { query: 'mutation { suspendPartner(id: "no-such-partner") { id } }' },
  'Mutation.reactivatePartner': { query: 'mutation { reactivatePartner(id: "no-such-partner") { id } }' },
  'Mutation.createAuditCheckpoint': { query: 'mutation { createAuditCheckpoint { seq } }' },
  'Mutation.publishEvents': { query: 'mutation { publishEvents(tokens: ["not-a-token"]) { status } }' },
  'Mutation.grantAccess': { query: 'mutation { grantAccess(input: { grantee: "no-such-partner", categories: ["cash_out"], includeEvidence: false, expiresAt: "2030-01-01T00:00:00Z", purpose: "x" }) { id } }' },
  'Mutation.revokeGrant': { query: 'mutation { revokeGrant(id: "00000000-0000-4000-8000-000000000000") { id } }' },
};

/** Every field of Event: public (seen by whoever sees the event) or sensitive (issuer and evidence grantees only). */
const EVENT_FIELDS: Record<string, 'public' | 'sensitive'> = {
  id: 'public', issuer: 'public', jti: 'public', subject: 'public', type: 'public', category: 'public', action: 'public', score: 'public',
  confidence: 'public', distribution: 'public', observedAt: 'public', issuedAt: 'public', effectiveAt: 'public', expiresAt: 'public',
  txn: 'public', targetJti: 'public', details: 'public', receivedAt: 'public', status: 'public', statusChangedAt: 'public',
  statusChangedBy: 'public', redactedFields: 'public', evidence: 'sensitive', token: 'sensitive', reasonCodes: 'sensitive',
};

const KIND_OF: Record<string, PartnerKind> = { operator: PartnerKind.OPERATOR, 'bank-a': PartnerKind.BANK, 'shop-b': PartnerKind.ECOMMERCE, 'scorer-c': PartnerKind.INTERNAL_SCORER, 'court-d': PartnerKind.LEGAL };

function requiredPermissions(): Map<string, Permission[]> {
  const found = new Map<string, Permission[]>();
  for (const resolver of RESOLVERS) {
    const proto = resolver.prototype as Record<string, object>;
    for (const method of Object.getOwnPropertyNames(proto)) {
      const type = Reflect.getMetadata('graphql:resolver_type', proto[method]) as string | undefined;
      if (!type) continue;
      const name = (Reflect.getMetadata('graphql:resolver_name', proto[method]) as string | undefined) ?? method;
      found.set(`${type}.${name}`, (Reflect.getMetadata(PERMISSIONS_KEY, proto[method]) as Permission[]) ?? []);
    }
  }
  return found;
}

describe('authorization matrix (e2e, over HTTP)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  const keys: Record<string, TestKey> = {};
  const ids: Record<string, string> = {};
  let cases = 0;

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0' });
    keys.operator = gw.operatorKey;
    for (const [id, kind] of Object.entries(KIND_OF)) if (id !== 'operator') keys[id] = await gw.registerPartner(id, kind);
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

  it('enforces the permission table for every operation and every kind', async () => {
    const required = requiredPermissions();
    const failures: string[] = [];
    for (const [op, sample] of Object.entries(OPERATIONS)) {
      const perms = required.get(op);
      if (!perms || perms.length === 0) failures.push(`${op}: no permission declared`);
      for (const partner of Object.keys(KIND_OF)) {
        cases++;
        const allowed = (perms ?? []).every((p) => kindHas(KIND_OF[partner], p));
        const res = await gw.as(partner, keys[partner], sample.query, sample.variables?.(ids, partner) ?? {});
        const code = codeOf(res);
        if (allowed && (code === 'FORBIDDEN' || code === 'UNAUTHENTICATED')) failures.push(`${op} as ${partner}: refused (${code}) but the table allows it`);
        if (!allowed && code !== 'FORBIDDEN') failures.push(`${op} as ${partner}: not refused (${code ?? 'ok'}) but the table forbids it`);
      }
    }
    expect(failures).toEqual([]);
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
      await check("another's events list", p, '{ myEvents(first: 100) { edges { node { issuer } } } }', {}, (r) => r.data?.myEvents.edges.every((e: any) => e.node.issuer === p));
    }
    // The grant and the key are intact, and their owner still reaches them.
    const own = await gw.as('bank-a', keys['bank-a'], '{ grantsGiven(first: 10) { edges { node { id active } } } me { keys { kid status } } }');
    expect(own.data!.grantsGiven.edges.find((e: any) => e.node.id === ids.grant).node.active).toBe(true);
    expect(own.data!.me.keys).toEqual([{ kid: 'bank-a-k1', status: 'ACTIVE' }]);
    expect(failures).toEqual([]);
  });
});
