// Visibility at delivery time (issue 13, perf13): a partner event's evidence, reason codes and
// original token are not written into the ledger by the publishing transaction; the signer adds
// them when it first sends the notice, if the receiver has full access at that moment. Over real
// HTTP against PostgreSQL: SSF streams and status, RFC 8936 poll, GraphQL grants.
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { DataSource } from 'typeorm';
import { TestDatabase, TestGateway } from './support/app';
import { answer, TestReceiver } from './support/receiver';
import { assertion, TestKey } from './support/keys';
import { signal } from './support/sets';

const SIGNAL = 'urn:risk-exchange:event:risk-signal';
const SUBJECT = 'v1:signing-access-subject-01';
const PUBLISH = 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status eventId code description } }';
const GRANT = 'mutation($i: GrantAccessInput!) { grantAccess(input: $i) { id } }';
const REVOKE = 'mutation($id: ID!) { revokeGrant(id: $id) { id active } }';

describe('delivery: full access is decided when a notice is first signed (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let ds: DataSource;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  const keys: Record<string, TestKey> = {};
  let streamId = '';

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0', ALLOW_INSECURE_PUSH: 'true', PUSH_SCAN_INTERVAL_MS: '50' });
    ds = gw.app.get(DataSource);
    for (const [id, kind] of [['bank-a', 'BANK'], ['shop-b', 'ECOMMERCE']]) keys[id] = await gw.registerPartner(id, kind);
    jwks = createLocalJWKSet((await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet);
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  async function ssf(partner: string, method: string, path: string, body?: unknown) {
    const res = await fetch(`${gw.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${await assertion(keys[partner], partner)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Polls shop-b's stream once; answers the risk-signal SETs (verified with the JWKS) and the raw tokens by jti. */
  async function poll(ack: string[] = []) {
    const res = await ssf('shop-b', 'POST', `/ssf/poll/${streamId}`, { maxEvents: 50, returnImmediately: true, ack });
    expect(res.status).toBe(200);
    const sets: Array<JWTPayload & Record<string, any>> = [];
    for (const token of Object.values(res.body.sets as Record<string, string>)) {
      const { payload } = await jwtVerify(token, jwks, { issuer: gw.config.issuer, audience: 'shop-b', typ: 'secevent+jwt' });
      if (payload.events && SIGNAL in (payload.events as object)) sets.push(payload as JWTPayload & Record<string, any>);
    }
    return { sets, raw: res.body.sets as Record<string, string> };
  }

  async function grant(includeEvidence: boolean): Promise<string> {
    const res = await gw.as('bank-a', keys['bank-a'], GRANT, {
      i: { grantee: 'shop-b', categories: ['cash_out'], includeEvidence, expiresAt: new Date(Date.now() + 86_400_000).toISOString(), purpose: 'joint cash-out investigations' },
    });
    expect(res.errors).toBeUndefined();
    return res.data!.grantAccess.id;
  }

  async function publish(jti: string): Promise<{ token: string; eventId: string }> {
    const token = await signal(keys['bank-a'], 'bank-a', { distribution: 'granted' }, { jti, subject: SUBJECT });
    const res = await gw.as('bank-a', keys['bank-a'], PUBLISH, { t: [token] });
    expect(res.errors).toBeUndefined();
    expect(res.data!.publishEvents[0]).toMatchObject({ status: 'ACCEPTED' });
    return { token, eventId: res.data!.publishEvents[0].eventId };
  }

  async function setStatus(status: 'enabled' | 'paused') {
    const res = await ssf('shop-b', 'POST', '/ssf/status', { stream_id: streamId, status });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe(status);
  }

  let grantId = '';
  let firstJti = '';
  let firstSet = '';

  it('sends a granted receiver with includeEvidence the original token, evidence and reason codes', async () => {
    grantId = await grant(true);
    const made = await ssf('shop-b', 'POST', '/ssf/streams', { events_requested: [SIGNAL], description: 'shop-b customers' });
    expect(made.status).toBe(201);
    streamId = made.body.stream_id;
    expect((await ssf('shop-b', 'POST', '/ssf/subjects:add', { stream_id: streamId, subject: { format: 'opaque', id: SUBJECT } })).status).toBe(200);

    const { token, eventId } = await publish('granted-1');
    // The ledger row holds no copy of the event (least of all its token and evidence): the signer
    // builds the member from the stored event at first send.
    const [row] = await ds.query(`SELECT payload FROM delivery WHERE stream_id = $1 AND event_id = $2`, [streamId, eventId]);
    expect(row.payload).toEqual({ aud: 'shop-b', sub_id: { format: 'opaque', id: SUBJECT }, txn: 'granted-1' });

    const { sets, raw } = await poll();
    expect(sets).toHaveLength(1);
    expect(sets[0].txn).toBe('granted-1');
    expect(sets[0].events[SIGNAL]).toEqual({
      category: 'cash_out', score: 0.8, confidence: 0.9, expires_at: expect.any(Number), distribution: 'granted', issuer: 'bank-a', event_id: eventId,
      reason_codes: ['burst_large_txn'], evidence: { txn_count: 14 }, original_token: token,
    });
    firstJti = sets[0].jti as string;
    firstSet = raw[firstJti]; // left unacknowledged on purpose: it comes again below
  });

  it('masks a notice queued on a paused stream whose grant was revoked before it was first sent; a SET already signed stays as it was', async () => {
    await setStatus('paused');
    const { eventId } = await publish('granted-2');
    const [held] = await ds.query(`SELECT state FROM delivery WHERE stream_id = $1 AND event_id = $2`, [streamId, eventId]);
    expect(held.state).toBe('HELD');
    expect(await gw.as('bank-a', keys['bank-a'], REVOKE, { id: grantId })).toMatchObject({ data: { revokeGrant: { id: grantId, active: false } } });
    await setStatus('enabled');

    const { sets, raw } = await poll();
    const second = sets.find((s) => s.txn === 'granted-2');
    expect(second).toBeDefined();
    // Masked exactly as sharing/masking.ts masks a viewer without full access: the rest is intact.
    expect(second!.events[SIGNAL]).toEqual({ category: 'cash_out', score: 0.8, confidence: 0.9, expires_at: expect.any(Number), distribution: 'granted', issuer: 'bank-a', event_id: eventId });
    // The first notice, signed before the revocation, is redelivered unchanged (same token).
    expect(raw[firstJti]).toBe(firstSet);
    expect(sets.find((s) => s.txn === 'granted-1')!.events[SIGNAL].original_token).toEqual(expect.any(String));
    await poll(Object.keys(raw));
    expect((await poll()).sets).toEqual([]);
  });

  it('carries them again in a fresh notice once the grant with evidence is given again', async () => {
    await grant(true);
    const { token, eventId } = await publish('granted-3');
    const { sets } = await poll();
    expect(sets).toHaveLength(1);
    expect(sets[0].txn).toBe('granted-3');
    expect(sets[0].events[SIGNAL]).toMatchObject({ event_id: eventId, reason_codes: ['burst_large_txn'], evidence: { txn_count: 14 }, original_token: token });
  });
  it('withdraws a never-sent push notice whose event was purged, without counting it against the stream; the next one is pushed', async () => {
    const receiver = await TestReceiver.start(answer(202));
    try {
      const made = await ssf('shop-b', 'POST', '/ssf/streams', { events_requested: [SIGNAL], delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: receiver.url() } });
      expect(made.status).toBe(201);
      const push = made.body.stream_id as string;
      expect((await ssf('shop-b', 'POST', '/ssf/subjects:add', { stream_id: push, subject: { format: 'opaque', id: SUBJECT } })).status).toBe(200);
      expect((await ssf('shop-b', 'POST', '/ssf/status', { stream_id: push, status: 'paused' })).status).toBe(200);
      const consortium = async (jti: string) => {
        const res = await gw.as('bank-a', keys['bank-a'], PUBLISH, { t: [await signal(keys['bank-a'], 'bank-a', { distribution: 'consortium' }, { jti, subject: SUBJECT })] });
        expect(res.data!.publishEvents[0]).toMatchObject({ status: 'ACCEPTED' });
        return res.data!.publishEvents[0].eventId as string;
      };
      const purged = await consortium('purged-1');
      expect(await ds.query(`SELECT state FROM delivery WHERE stream_id = $1 AND event_id = $2`, [push, purged])).toEqual([{ state: 'HELD' }]);
      await ds.query(`DELETE FROM event WHERE id = $1`, [purged]); // as the retention purge would, before the notice was ever sent
      expect((await ssf('shop-b', 'POST', '/ssf/status', { stream_id: push, status: 'enabled' })).status).toBe(200);
      const until = Date.now() + 5000;
      while (Date.now() < until && (await ds.query(`SELECT 1 FROM delivery WHERE stream_id = $1 AND event_id = $2`, [push, purged])).length) await new Promise((r) => setTimeout(r, 50));
      expect(await ds.query(`SELECT id FROM delivery WHERE stream_id = $1 AND event_id = $2`, [push, purged])).toEqual([]);
      expect(receiver.received).toEqual([]);
      expect(await ds.query(`SELECT consecutive_failures, status FROM ssf_stream WHERE id = $1`, [push])).toEqual([{ consecutive_failures: 0, status: 'enabled' }]);
      // A fresh notice on the same stream is pushed at once.
      const kept = await consortium('kept-1');
      while (Date.now() < until + 5000 && !receiver.received.length) await new Promise((r) => setTimeout(r, 50));
      expect(receiver.received).toHaveLength(1);
      const { payload } = await jwtVerify(receiver.received[0].body, jwks, { issuer: gw.config.issuer, audience: 'shop-b', typ: 'secevent+jwt' });
      expect((payload.events as Record<string, any>)[SIGNAL].event_id).toBe(kept);
    } finally {
      await receiver.close();
    }
  });
});
