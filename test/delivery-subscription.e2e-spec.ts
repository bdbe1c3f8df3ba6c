import { DataSource } from 'typeorm';
import { Delivery } from '../src/delivery/delivery.entity';
import { SsfStream } from '../src/delivery/stream.entity';
import { TestDatabase, TestGateway } from './support/app';
import { assertion, makeKey, TestKey } from './support/keys';
import { createStream, enqueue, FLAG_TYPE, NoticeSocket, poll, verifySet } from './support/notices';
import { SUBJECT } from './support/sets';

const NOTICES = 'subscription($s: ID!) { notices(streamId: $s) { jti set eventType subject txn createdAt } }';
const ACK = 'mutation($s: ID!, $j: [ID!]!) { acknowledgeNotices(streamId: $s, jtis: $j) { acknowledged } }';
const ME = '{ me { id } }';

/** The GraphQL `notices` subscription over graphql-transport-ws (issue 13 item 5), against PostgreSQL. */
describe('notices subscription (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let ds: DataSource;
  let bank: TestKey;
  let stream: SsfStream;
  const sockets: NoticeSocket[] = [];
  const open = async (partner: string, key: TestKey, init: Record<string, unknown> = {}, exp?: number) => {
    const s = await NoticeSocket.open(gw.url, await assertion(key, partner, exp ? { exp } : {}), init);
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0', WS_SESSION_CHECK_MS: '200' });
    ds = gw.app.get(DataSource);
    bank = await gw.registerPartner('bank-a', 'BANK');
    stream = await createStream(ds, 'bank-a');
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await gw?.close();
    await db?.drop();
  });

  it('replays unacknowledged notices oldest first, then streams new ones live; acknowledged ones never come again', async () => {
    const earlier = await enqueue(ds, stream, 1);
    const earlier2 = await enqueue(ds, stream, 1);
    const socket = await open('bank-a', bank);
    const id = socket.subscribe(NOTICES, { s: stream.id });
    await socket.until(() => socket.notices(id).length === 2, 'the replay');
    expect(socket.notices(id).map((n) => n.jti)).toEqual([...earlier, ...earlier2]);

    const live = await enqueue(ds, stream, 1);
    await socket.until(() => socket.notices(id).length === 3, 'the live notice');
    const n = socket.notices(id)[2];
    expect(n).toMatchObject({ jti: live[0], eventType: FLAG_TYPE, subject: SUBJECT });
    const { payload } = await verifySet(gw.url, n.set, stream.aud);
    expect(payload).toMatchObject({ jti: live[0], iss: gw.config.issuer, txn: n.txn, sub_id: { format: 'opaque', id: SUBJECT } });

    // Acknowledge two on the socket itself; the third stays pending and is replayed to a new subscriber.
    const ack = await socket.request(ACK, { s: stream.id, j: [earlier[0], live[0], 'not-a-jti'] });
    expect(ack).toEqual({ data: { acknowledgeNotices: { acknowledged: 2 } } });
    const [entry] = await ds.query(`SELECT actor, target, details FROM audit_log WHERE action = 'notices.acknowledge' ORDER BY seq DESC LIMIT 1`);
    expect(entry).toEqual({ actor: 'bank-a', target: stream.id, details: { outcome: 'ok', requested: 3, acknowledged: 2 } });
    const second = await open('bank-a', bank);
    const id2 = second.subscribe(NOTICES, { s: stream.id });
    await second.until(() => second.notices(id2).length === 1, 'the replay of the unacknowledged one');
    expect(second.notices(id2)[0].jti).toBe(earlier2[0]);
    // The same SET as the first time (signed once).
    expect(second.notices(id2)[0].set).toBe(socket.notices(id)[1].set);
    expect((await second.request(ACK, { s: stream.id, j: earlier2 })).data.acknowledgeNotices.acknowledged).toBe(1);
    expect(await ds.getRepository(Delivery).countBy({ streamId: stream.id, state: 'PENDING' })).toBe(0);

    // Both subscribers still receive what comes next (and unsubscribing frees the waiter).
    const next = await enqueue(ds, stream, 1);
    await socket.until(() => socket.notices(id).some((x) => x.jti === next[0]), 'the next notice on the first socket');
    await second.until(() => second.notices(id2).some((x) => x.jti === next[0]), 'the next notice on the second socket');
    second.send({ id: id2, type: 'complete' });
    socket.send({ id, type: 'complete' });
    await socket.request(ACK, { s: stream.id, j: next });
  });

  it("refuses another partner's stream (NOT_FOUND like a missing one) and a kind without the permission; then the owner subscribes", async () => {
    const shop = await gw.registerPartner('shop-b', 'ECOMMERCE');
    const s = await open('shop-b', shop);
    const id = s.subscribe(NOTICES, { s: stream.id });
    await s.until(() => s.of(id).some((m) => m.type === 'error' || m.type === 'next'), 'the refusal');
    const refusal = s.of(id)[0];
    expect(refusal).toMatchObject({ type: 'error', payload: [{ message: `no stream ${stream.id}`, extensions: { code: 'NOT_FOUND' } }] });
    const missing = s.subscribe(NOTICES, { s: '00000000-0000-4000-8000-000000000000' });
    await s.until(() => s.of(missing).length > 0, 'the refusal of a missing stream');
    expect(s.of(missing)[0]).toMatchObject({ type: 'error', payload: [{ extensions: { code: 'NOT_FOUND' } }] });
    const op = await open('operator', gw.operatorKey);
    const forbidden = op.subscribe(NOTICES, { s: stream.id });
    await op.until(() => op.of(forbidden).length > 0, 'the refusal of the operator');
    expect(op.of(forbidden)[0]).toMatchObject({ type: 'error', payload: [{ extensions: { code: 'FORBIDDEN' } }] });

    const own = await createStream(ds, 'shop-b');
    const jtis = await enqueue(ds, own, 1);
    const ok = s.subscribe(NOTICES, { s: own.id });
    await s.until(() => s.notices(ok).length === 1, 'the owner subscription');
    expect(s.notices(ok)[0].jti).toBe(jtis[0]);
    // A poll and a subscription share the rows: acknowledging by poll ends it for both.
    expect((await poll(gw.url, own.id, await assertion(shop, 'shop-b'), { maxEvents: 0, ack: jtis })).status).toBe(200);
  });

  it('applies give-to-get: a partner that has not contributed is refused, and subscribes once it has published', async () => {
    const { signal } = await import('./support/sets');
    const replica = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0', GIVE_TO_GET_MIN_EVENTS: 'BANK=1' }, gw.operatorKey);
    try {
      const k = await gw.registerPartner('bank-g', 'BANK');
      const own = await createStream(ds, 'bank-g');
      const s = await NoticeSocket.open(replica.url, await assertion(k, 'bank-g'));
      sockets.push(s);
      const refused = s.subscribe(NOTICES, { s: own.id });
      await s.until(() => s.of(refused).length > 0, 'the refusal');
      expect(s.of(refused)[0]).toMatchObject({ type: 'error', payload: [{ extensions: { code: 'CONTRIBUTION_REQUIRED' } }] });
      const published = await replica.as('bank-g', k, 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status } }', { t: [await signal(k, 'bank-g')] });
      expect(published.errors).toBeUndefined();
      const jtis = await enqueue(ds, own, 1);
      const ok = s.subscribe(NOTICES, { s: own.id });
      await s.until(() => s.notices(ok).length === 1, 'the notice once contributing');
      expect(s.notices(ok)[0].jti).toBe(jtis[0]);
      s.close();
    } finally {
      await replica.close();
    }
  });

  it("closes the socket when the partner is suspended, and serves it again once reactivated", async () => {
    const k = await gw.registerPartner('bank-s', 'BANK');
    const own = await createStream(ds, 'bank-s');
    const s = await open('bank-s', k);
    s.subscribe(NOTICES, { s: own.id });
    expect((await s.request(ME)).data).toEqual({ me: { id: 'bank-s' } });
    expect((await gw.asOperator('mutation { suspendPartner(id: "bank-s") { status } }')).data).toEqual({ suspendPartner: { status: 'SUSPENDED' } });
    await s.until(() => s.closed !== null, 'the close');
    expect(s.closed!.code).toBe(4401);
    expect(s.closed!.reason).toMatch(/suspended/);
    await gw.asOperator('mutation { reactivatePartner(id: "bank-s") { status } }');
    const again = await open('bank-s', k);
    const id = again.subscribe(NOTICES, { s: own.id });
    const jtis = await enqueue(ds, own, 1);
    await again.until(() => again.notices(id).length === 1, 'a notice after reactivation');
    expect(again.notices(id)[0].jti).toBe(jtis[0]);
  });

  it('closes the socket when its key is revoked', async () => {
    const first = await makeKey('bank-r-k1');
    const second = await makeKey('bank-r-k2');
    await gw.registerPartner('bank-r', 'BANK', first);
    const add = await gw.asOperator('mutation($p: ID!, $jwk: String!) { addPartnerKey(partnerId: $p, jwk: $jwk) { id } }', { p: 'bank-r', jwk: JSON.stringify(second.publicJwk) });
    expect(add.errors).toBeUndefined();
    const s = await open('bank-r', first);
    expect((await s.request(ME)).data).toEqual({ me: { id: 'bank-r' } });
    const revoked = await gw.asOperator('mutation { revokePartnerKey(partnerId: "bank-r", kid: "bank-r-k1") { id } }');
    expect(revoked.errors).toBeUndefined();
    await s.until(() => s.closed !== null, 'the close');
    expect(s.closed).toMatchObject({ code: 4401, reason: expect.stringMatching(/revoked/) });
    const other = await open('bank-r', second);
    expect((await other.request(ME)).data).toEqual({ me: { id: 'bank-r' } });
  });

  it('closes the socket when the assertion expires without renewal; a ping carrying a fresh assertion renews it', async () => {
    const k = await gw.registerPartner('bank-e', 'BANK');
    const soon = () => Math.floor(Date.now() / 1000) + 2;
    const lapsing = await open('bank-e', k, {}, soon());
    const renewed = await open('bank-e', k, {}, soon());
    renewed.send({ type: 'ping', payload: { authorization: `Bearer ${await assertion(k, 'bank-e')}` } });
    await renewed.until(() => renewed.messages.some((m) => m.type === 'pong'), 'the pong');
    await lapsing.until(() => lapsing.closed !== null, 'the close of the lapsed socket');
    expect(lapsing.closed).toMatchObject({ code: 4401, reason: expect.stringMatching(/expired/) });
    // Past the first assertion's expiry (the other socket is closed), the renewed one still works.
    expect(renewed.closed).toBeNull();
    expect((await renewed.request(ME)).data).toEqual({ me: { id: 'bank-e' } });
  });

  it("refuses a renewal for another partner or a bad one by closing the socket; connection_init may carry the assertion too", async () => {
    const k = await gw.registerPartner('bank-f', 'BANK');
    const s = await open('bank-f', k);
    s.send({ type: 'ping', payload: { authorization: `Bearer ${await assertion(bank, 'bank-a')}` } });
    await s.until(() => s.closed !== null, 'the close');
    expect(s.closed).toMatchObject({ code: 4401, reason: expect.stringMatching(/same partner/) });
    await expect(open('bank-f', k, { authorization: 'Bearer not-a-token' })).rejects.toThrow(/4401/);
    const good = await open('bank-f', k, { authorization: `Bearer ${await assertion(k, 'bank-f')}` });
    expect((await good.request(ME)).data).toEqual({ me: { id: 'bank-f' } });
  });
});
