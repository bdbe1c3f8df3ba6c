// The whole delivery path over HTTP against PostgreSQL: streams made with the SSF endpoints, a
// flag published by one partner, fanned out in the publishing transaction, polled (RFC 8936) with
// an OAuth access token and with a partner assertion, masked per receiver, and a retraction that
// reaches a receiver that no longer watches the subject.
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { TestDatabase, TestGateway } from './support/app';
import { assertion, TestKey } from './support/keys';
import { accessToken, ISSUER } from './support/oauth';
import { makeSet, SUBJECT } from './support/sets';

const FLAG = 'urn:risk-exchange:event:account-flag';
const RETRACTION = 'urn:risk-exchange:event:retraction';
const OTHER_SUBJECT = 'v1:another-subject-nobody-watches-00';
const PUBLISH = 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status code description } }';
const GRANT = 'mutation($i: GrantAccessInput!) { grantAccess(input: $i) { id } }';

describe('delivery end to end: publish, fan-out, poll with an access token, masking, corrections (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  const keys: Record<string, TestKey> = {};
  const streams: Record<string, string> = {};

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0', GATEWAY_ISSUER: ISSUER });
    for (const [id, kind] of [['bank-a', 'BANK'], ['shop-b', 'ECOMMERCE'], ['scorer-c', 'INTERNAL_SCORER'], ['bank-e', 'BANK'], ['court-d', 'LEGAL']]) keys[id] = await gw.registerPartner(id, kind);
    jwks = createLocalJWKSet((await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet);
    // shop-b sees bank-a's flags in full (evidence grant); scorer-c only as the consortium does.
    const grant = await gw.as('bank-a', keys['bank-a'], GRANT, {
      i: { grantee: 'shop-b', categories: ['account_flag'], includeEvidence: true, expiresAt: new Date(Date.now() + 86_400_000).toISOString(), purpose: 'joint cash-out investigations' },
    });
    expect(grant.errors).toBeUndefined();
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  async function ssf(partner: string, method: string, path: string, body?: unknown, bearer?: string) {
    const auth = bearer ?? (await assertion(keys[partner], partner));
    const res = await fetch(`${gw.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${auth}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }

  /** Polls a stream once (returnImmediately), verifying every SET with the gateway JWKS. */
  async function poll(partner: string, bearer?: string, ack: string[] = []) {
    const res = await ssf(partner, 'POST', `/ssf/poll/${streams[partner]}`, { maxEvents: 50, returnImmediately: true, ack }, bearer);
    expect(res.status).toBe(200);
    const sets: Array<JWTPayload & Record<string, any>> = [];
    for (const token of Object.values(res.body.sets as Record<string, string>)) {
      expect(decodeProtectedHeader(token).typ).toBe('secevent+jwt');
      const { payload } = await jwtVerify(token, jwks, { issuer: ISSUER, audience: partner, typ: 'secevent+jwt' });
      sets.push(payload as JWTPayload & Record<string, any>);
    }
    return sets;
  }

  it('creates poll streams and adds subjects through the SSF endpoints', async () => {
    for (const [partner, subject] of [['shop-b', SUBJECT], ['scorer-c', SUBJECT], ['bank-e', OTHER_SUBJECT], ['court-d', SUBJECT]]) {
      const made = await ssf(partner, 'POST', '/ssf/streams', { events_requested: [FLAG, RETRACTION], description: `${partner} customers` });
      expect(made.status).toBe(201);
      expect(made.body.delivery).toEqual({ method: 'urn:ietf:rfc:8936', endpoint_url: `${ISSUER}/ssf/poll/${made.body.stream_id}` });
      streams[partner] = made.body.stream_id;
      const added = await ssf(partner, 'POST', '/ssf/subjects:add', { stream_id: streams[partner], subject: { format: 'opaque', id: subject } });
      expect(added.status).toBe(200);
    }
  });

  let flagJti = '';
  it('delivers a published freeze to the streams watching the subject, masked per receiver, and to no other', async () => {
    flagJti = `freeze-${Date.now()}`;
    const token = await makeSet(keys['bank-a'], 'bank-a', 'account-flag', { action: 'freeze', reason_codes: ['cash_out_ring'] }, { jti: flagJti });
    const published = await gw.as('bank-a', keys['bank-a'], PUBLISH, { t: [token] });
    expect(published.data!.publishEvents[0].status).toBe('ACCEPTED');

    // shop-b polls with an OAuth access token (client_credentials + private_key_jwt).
    const bearer = await accessToken(gw.url, keys['shop-b'], 'shop-b', 'ssf.read');
    const shop = await poll('shop-b', bearer);
    expect(shop).toHaveLength(1);
    expect(shop[0].txn).toBe(flagJti);
    expect(shop[0].sub_id).toEqual({ format: 'opaque', id: SUBJECT });
    const full = shop[0].events[FLAG];
    expect(full).toMatchObject({ action: 'freeze', issuer: 'bank-a', reason_codes: ['cash_out_ring'], original_token: token });

    const scorer = await poll('scorer-c');
    expect(scorer).toHaveLength(1);
    const masked = scorer[0].events[FLAG];
    expect(masked).toMatchObject({ action: 'freeze', issuer: 'bank-a' });
    expect(masked.original_token).toBeUndefined();
    expect(masked.reason_codes).toBeUndefined();

    // bank-e watches another subject; court-d (LEGAL) does not see consortium flags.
    expect(await poll('bank-e')).toEqual([]);
    expect(await poll('court-d')).toEqual([]);
  });

  it('keeps an unacknowledged SET and drops it once acknowledged', async () => {
    const again = await poll('scorer-c');
    expect(again.map((s) => s.txn)).toEqual([flagJti]);
    await poll('scorer-c', undefined, [again[0].jti as string]);
    expect(await poll('scorer-c')).toEqual([]);
  });

  it('needs ssf.manage to change subjects with an access token, then removes the subject', async () => {
    const readOnly = await accessToken(gw.url, keys['shop-b'], 'shop-b', 'ssf.read');
    const refused = await ssf('shop-b', 'POST', '/ssf/subjects:remove', { stream_id: streams['shop-b'], subject: { format: 'opaque', id: SUBJECT } }, readOnly);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    const manage = await accessToken(gw.url, keys['shop-b'], 'shop-b', 'ssf.manage');
    const removed = await ssf('shop-b', 'POST', '/ssf/subjects:remove', { stream_id: streams['shop-b'], subject: { format: 'opaque', id: SUBJECT } }, manage);
    expect(removed.status).toBe(204);
  });

  it('delivers the retraction to every earlier recipient, including one that removed the subject since', async () => {
    const before = await poll('shop-b');
    await poll('shop-b', undefined, before.map((s) => s.jti as string));
    const retraction = await makeSet(keys['bank-a'], 'bank-a', 'retraction', { retracts_jti: flagJti, reason: 'false_positive' });
    const published = await gw.as('bank-a', keys['bank-a'], PUBLISH, { t: [retraction] });
    expect(published.data!.publishEvents[0].status).toBe('ACCEPTED');

    const shop = await poll('shop-b');
    expect(shop).toHaveLength(1);
    expect(shop[0].events[RETRACTION]).toMatchObject({ retracts_jti: flagJti, reason: 'false_positive', issuer: 'bank-a' });
    const scorer = await poll('scorer-c');
    expect(scorer.map((s) => Object.keys(s.events)[0])).toEqual([RETRACTION]);
    expect(await poll('bank-e')).toEqual([]);
    expect(await poll('court-d')).toEqual([]);
  });

  it('answers 404 for another partner\'s stream exactly as for a missing one, then serves the owner', async () => {
    const foreign = await ssf('scorer-c', 'POST', `/ssf/poll/${streams['shop-b']}`, { returnImmediately: true });
    const unknown = '00000000-0000-4000-8000-000000000000';
    const missing = await ssf('scorer-c', 'POST', `/ssf/poll/${unknown}`, { returnImmediately: true });
    expect(foreign.status).toBe(404);
    // The same answer, naming the id asked for.
    expect(JSON.stringify(foreign.body).replace(streams['shop-b'], unknown)).toBe(JSON.stringify(missing.body));
    const read = await ssf('scorer-c', 'GET', `/ssf/streams?stream_id=${streams['shop-b']}`);
    expect(read.status).toBe(404);
    expect((await ssf('shop-b', 'GET', `/ssf/streams?stream_id=${streams['shop-b']}`)).status).toBe(200);
  });
});
