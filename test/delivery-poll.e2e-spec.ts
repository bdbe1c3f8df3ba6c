import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Delivery } from '../src/delivery/delivery.entity';
import { SsfStream } from '../src/delivery/stream.entity';
import { TestDatabase, TestGateway } from './support/app';
import { assertion, TestKey } from './support/keys';
import { createStream, enqueue, FLAG_TYPE, poll, verifySet } from './support/notices';
import { waitFor } from './support/processes';
import { SUBJECT } from './support/sets';

/** RFC 8936 poll at POST /ssf/poll/{stream_id} (issue 13 item 5), over real HTTP against PostgreSQL. */
describe('RFC 8936 poll (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let ds: DataSource;
  let bank: TestKey;
  let shop: TestKey;
  let stream: SsfStream;
  const asBank = () => assertion(bank, 'bank-a');

  beforeAll(async () => {
    db = await TestDatabase.create();
    // A long-poll bound far beyond what a wake-up takes: a poll that returns a notice before it was
    // woken by the notice (not by the final read at the end of its wait). A small cap for maxEvents.
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0', POLL_MAX_WAIT_MS: '50000', POLL_MAX_EVENTS: '5' });
    ds = gw.app.get(DataSource);
    bank = await gw.registerPartner('bank-a', 'BANK');
    shop = await gw.registerPartner('shop-b', 'ECOMMERCE');
    stream = await createStream(ds, 'bank-a');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it('returns pending SETs signed by the gateway, verifiable with the JWKS; unacknowledged ones come again', async () => {
    const jtis = await enqueue(ds, stream, 2);
    const first = await poll(gw.url, stream.id, await asBank(), { returnImmediately: true });
    expect(first.status).toBe(200);
    expect(Object.keys(first.body.sets).sort()).toEqual([...jtis].sort());
    expect(first.body.moreAvailable).toBe(false);
    for (const jti of jtis) {
      const { payload, protectedHeader } = await verifySet(gw.url, first.body.sets[jti], stream.aud);
      expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'secevent+jwt' });
      expect(payload).toMatchObject({ jti, iss: gw.config.issuer, aud: stream.aud, sub_id: { format: 'opaque', id: SUBJECT } });
      expect(Object.keys(payload.events as object)).toEqual([FLAG_TYPE]);
    }
    // Not acknowledged: the same tokens again (same jti and iat).
    const again = await poll(gw.url, stream.id, await asBank(), { returnImmediately: true });
    expect(again.body.sets).toEqual(first.body.sets);
    // Acknowledged: never again; the answer to the acknowledging poll holds nothing more.
    const acked = await poll(gw.url, stream.id, await asBank(), { returnImmediately: true, ack: jtis });
    expect(acked.body).toEqual({ sets: {}, moreAvailable: false });
    const rows = await ds.getRepository(Delivery).findBy(jtis.map((id) => ({ id })));
    expect(rows.map((r) => r.state)).toEqual(['ACKED', 'ACKED']);
    expect((await poll(gw.url, stream.id, await asBank(), { returnImmediately: true })).body).toEqual({ sets: {}, moreAvailable: false });

  });

  it('pages with maxEvents (capped by POLL_MAX_EVENTS) and says moreAvailable; maxEvents 0 only acknowledges', async () => {
    const jtis = await enqueue(ds, stream, 7);
    const two = await poll(gw.url, stream.id, await asBank(), { returnImmediately: true, maxEvents: 2 });
    expect(Object.keys(two.body.sets)).toHaveLength(2);
    expect(two.body.moreAvailable).toBe(true);
    // Oldest first: the first two enqueued (one transaction, so ordered by id within it: compare as sets).
    const capped = await poll(gw.url, stream.id, await asBank(), { returnImmediately: true, maxEvents: 100, ack: Object.keys(two.body.sets) });
    expect(Object.keys(capped.body.sets)).toHaveLength(5);
    expect(capped.body.moreAvailable).toBe(false);
    // A full acknowledgement list (1000 jtis, unknown ones ignored) fits the route's body limit; a larger body does not.
    const filler = Array.from({ length: 995 }, () => randomUUID());
    const zero = await poll(gw.url, stream.id, await asBank(), { maxEvents: 0, ack: [...Object.keys(capped.body.sets), ...filler] });
    const huge = await poll(gw.url, stream.id, await asBank(), { maxEvents: 0, setErrs: Object.fromEntries(filler.map((j) => [j, { err: 'invalid_request', description: 'x'.repeat(300) }])) });
    expect(huge.status).toBe(413);
    expect(huge.body).toEqual({ err: 'invalid_request', description: expect.stringMatching(/larger than 262144 bytes/) });
    expect(zero.body).toEqual({ sets: {}, moreAvailable: false });
    expect(await ds.getRepository(Delivery).countBy({ streamId: stream.id, state: 'PENDING' })).toBe(0);
    expect(jtis).toHaveLength(7);
  });

  it('records setErrs (as acknowledgement) and shows them to the partner in notificationErrors; unknown jtis are ignored', async () => {
    const [bad, good] = await enqueue(ds, stream, 2);
    await poll(gw.url, stream.id, await asBank(), { returnImmediately: true });
    const other = await createStream(ds, 'shop-b');
    const [foreign] = await enqueue(ds, other, 1);
    await poll(gw.url, other.id, await assertion(shop, 'shop-b'), { returnImmediately: true });
    const res = await poll(gw.url, stream.id, await asBank(), {
      returnImmediately: true,
      ack: [good, 'not-a-jti', '00000000-0000-4000-8000-000000000000'],
      setErrs: { [bad]: { err: 'invalid_key', description: 'kid not in our cached JWKS' }, [foreign]: { err: 'invalid_request', description: 'not yours' } },
    });
    expect(res.body).toEqual({ sets: {}, moreAvailable: false });
    const row = await ds.getRepository(Delivery).findOneByOrFail({ id: bad });
    expect(row).toMatchObject({ state: 'ACKED', setErrCode: 'invalid_key', setErrDescription: 'kid not in our cached JWKS' });
    // Another stream's row is untouched by this stream's poll.
    expect(await ds.getRepository(Delivery).findOneByOrFail({ id: foreign })).toMatchObject({ state: 'PENDING', setErrCode: null });

    const q = 'query($s: ID!) { notificationErrors(streamId: $s) { edges { node { jti eventType err description } } } }';
    const errs = await gw.as('bank-a', bank, q, { s: stream.id });
    expect(errs.errors).toBeUndefined();
    expect(errs.data!.notificationErrors.edges.map((e: any) => e.node)).toEqual([{ jti: bad, eventType: FLAG_TYPE, err: 'invalid_key', description: 'kid not in our cached JWKS' }]);
    // Another partner's stream reads as missing there too, then its own works.
    const refused = await gw.as('shop-b', shop, q, { s: stream.id });
    expect(refused.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await gw.as('shop-b', shop, q, { s: other.id })).data!.notificationErrors.edges).toEqual([]);
    expect((await poll(gw.url, other.id, await assertion(shop, 'shop-b'), { maxEvents: 0, ack: [foreign] })).status).toBe(200);
  });

  it('long poll: waits for a notice enqueued in another transaction, and answers empty after POLL_MAX_WAIT_MS when none comes', async () => {
    const waiting = poll(gw.url, stream.id, await asBank(), { maxEvents: 10 });
    // The poller is registered with the waker before the notice commits (no timing guess: ask the waker).
    const { DeliveryWaker } = await import('../src/delivery/wakeup/delivery-waker');
    const waker = gw.app.get(DeliveryWaker);
    await waitFor(() => waker.waiting === 1, 10_000, 'the long poll to wait');
    const [jti] = await enqueue(ds, stream, 1);
    const woke = await waiting;
    expect(woke.status).toBe(200);
    expect(Object.keys(woke.body.sets)).toEqual([jti]);
    await poll(gw.url, stream.id, await asBank(), { returnImmediately: true, maxEvents: 0, ack: [jti] });
    expect(waker.waiting).toBe(0);

    // A replica with a short bound answers empty when nothing comes.
    const short = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0', POLL_MAX_WAIT_MS: '1000' }, gw.operatorKey);
    try {
      const empty = await poll(short.url, stream.id, await asBank(), {});
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual({ sets: {}, moreAvailable: false });
    } finally {
      await short.close();
    }
  }, 60_000);

  it('a long poll the client abandons stops waiting and loses nothing', async () => {
    const { DeliveryWaker } = await import('../src/delivery/wakeup/delivery-waker');
    const waker = gw.app.get(DeliveryWaker);
    const leave = new AbortController();
    const abandoned = poll(gw.url, stream.id, await asBank(), {}, leave.signal).catch((e: Error) => e);
    await waitFor(() => waker.waiting === 1, 10_000, 'the long poll to wait');
    leave.abort();
    expect(((await abandoned) as Error).name).toBe('AbortError');
    await waitFor(() => waker.waiting === 0, 10_000, 'the abandoned poll to stop waiting');
    const [jti] = await enqueue(ds, stream, 1);
    const next = await poll(gw.url, stream.id, await asBank(), { returnImmediately: true, maxEvents: 10 });
    expect(Object.keys(next.body.sets)).toEqual([jti]);
    await poll(gw.url, stream.id, await asBank(), { maxEvents: 0, ack: [jti] });
  });

  it('answers another partner\'s stream, a missing one and a malformed id with the same 404; a push stream is not polled; then the owner polls', async () => {
    const missing = await poll(gw.url, '00000000-0000-4000-8000-000000000000', await assertion(shop, 'shop-b'), { returnImmediately: true });
    const foreign = await poll(gw.url, stream.id, await assertion(shop, 'shop-b'), { returnImmediately: true });
    const malformed = await poll(gw.url, 'nope', await assertion(shop, 'shop-b'), { returnImmediately: true });
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(malformed.status).toBe(404);
    expect(foreign.body.err).toBe('not_found');
    expect(foreign.body.description.replace(stream.id, 'X')).toBe(missing.body.description.replace('00000000-0000-4000-8000-000000000000', 'X'));
    const push = await createStream(ds, 'bank-a', { push: true });
    const pushed = await poll(gw.url, push.id, await asBank(), { returnImmediately: true });
    expect(pushed.status).toBe(400);
    expect(pushed.body.description).toMatch(/delivers by push/);
    expect((await poll(gw.url, stream.id, await asBank(), { returnImmediately: true })).status).toBe(200);
  });

  it('refuses bad bodies naming the member, an unauthenticated caller and a kind without the permission; then a good poll passes', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ maxEvents: -1 }, /maxEvents must be a non-negative integer/],
      [{ maxEvents: 'ten' }, /maxEvents/],
      [{ returnImmediately: 'yes' }, /returnImmediately must be true or false/],
      [{ ack: 'abc' }, /ack must be an array/],
      [{ ack: [1] }, /ack\[0\]/],
      [{ setErrs: [] }, /setErrs must be an object/],
      [{ setErrs: { x: { description: 'no code' } } }, /setErrs\["x"\]\.err/],
      [[1, 2], /must be a JSON object/],
    ];
    for (const [body, message] of cases) {
      const res = await poll(gw.url, stream.id, await asBank(), body);
      expect(res.status).toBe(400);
      expect(res.body.err).toBe('invalid_request');
      expect(res.body.description).toMatch(message);
    }
    const text = await fetch(`${gw.url}/ssf/poll/${stream.id}`, { method: 'POST', headers: { 'content-type': 'application/xml', authorization: `Bearer ${await asBank()}` }, body: '<ack/>' });
    expect(text.status).toBe(415);
    expect(await text.json()).toEqual({ err: 'invalid_request', description: 'send the poll request as JSON with Content-Type: application/json' });
    const anonymous = await fetch(`${gw.url}/ssf/poll/${stream.id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anonymous.status).toBe(401);
    const operator = await poll(gw.url, stream.id, await assertion(gw.operatorKey, 'operator'), { returnImmediately: true });
    expect(operator.status).toBe(403);
    expect(operator.body.err).toBe('access_denied');
    expect((await poll(gw.url, stream.id, await asBank(), { returnImmediately: true })).status).toBe(200);
  });

  it('bounds waiting long polls per partner, applies give-to-get and draws on the rate budget, each refusal followed by a passing poll', async () => {
    const { signal } = await import('./support/sets');
    const scorer = await gw.registerPartner('scorer-c', 'INTERNAL_SCORER');
    const own = await createStream(ds, 'scorer-c');
    const replica = await TestGateway.start(
      db,
      { AUDIT_CHECKPOINT_SECONDS: '0', DELIVERY_MAX_WAITERS_PER_PARTNER: '1', GIVE_TO_GET_MIN_EVENTS: 'INTERNAL_SCORER=1', RATE_LIMIT_COST_PER_MINUTE: 'INTERNAL_SCORER=60' },
      gw.operatorKey,
    );
    try {
      const bearer = await assertion(scorer, 'scorer-c');
      const g2g = await poll(replica.url, own.id, bearer, { returnImmediately: true, maxEvents: 1 });
      expect(g2g.status).toBe(403);
      expect(g2g.body.description).toMatch(/give-to-get/);
      const published = await replica.as('scorer-c', scorer, 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status } }', { t: [await signal(scorer, 'scorer-c')] });
      expect(published.errors).toBeUndefined();

      const { DeliveryWaker } = await import('../src/delivery/wakeup/delivery-waker');
      const waker = replica.app.get(DeliveryWaker);
      const leave = new AbortController();
      const first = poll(replica.url, own.id, bearer, { maxEvents: 1 }, leave.signal).catch((e: Error) => e);
      await waitFor(() => waker.waiting === 1, 10_000, 'the first long poll to wait');
      const second = await poll(replica.url, own.id, bearer, { maxEvents: 1 });
      expect(second.status).toBe(503);
      expect(second.body.err).toBe('temporarily_unavailable');
      expect(second.body.description).toMatch(/DELIVERY_MAX_WAITERS_PER_PARTNER/);
      leave.abort();
      await first;
      await waitFor(() => waker.waiting === 0, 10_000, 'the abandoned poll to stop waiting');
      const [jti] = await enqueue(ds, own, 1);
      const ok = await poll(replica.url, own.id, bearer, { maxEvents: 1, ack: [] });
      expect(Object.keys(ok.body.sets)).toEqual([jti]);
      expect((await poll(replica.url, own.id, bearer, { maxEvents: 0, ack: [jti] })).status).toBe(200);

      // 1 + maxEvents from the budget (60 a minute here): 101 is over it. A refusal spends too, so the
      // passing request after it is another partner's.
      const budget = await poll(replica.url, own.id, bearer, { returnImmediately: true, maxEvents: 100 });
      expect(budget.status).toBe(429);
      expect(budget.body.err).toBe('rate_limited');
      expect(Number(budget.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await poll(replica.url, stream.id, await asBank(), { returnImmediately: true, maxEvents: 100 })).status).toBe(200);
    } finally {
      await replica.close();
    }
  });

  it('exports latency and backlog metrics per method', async () => {
    const [jti] = await enqueue(ds, stream, 1);
    const text = async () => {
      const { MetricsService } = await import('../src/observability/metrics');
      return gw.app.get(MetricsService).scrape();
    };
    expect(await text()).toMatch(/rx_delivery_backlog\{method="poll"\} [1-9]/);
    await poll(gw.url, stream.id, await asBank(), { returnImmediately: true });
    await poll(gw.url, stream.id, await asBank(), { maxEvents: 0, ack: [jti] });
    const after = await text();
    expect(after).toMatch(/rx_delivery_backlog\{method="poll"\} 0/);
    expect(after).toMatch(/rx_delivery_latency_seconds_count\{method="poll"\} [1-9]/);
    expect(after).toMatch(/rx_delivery_dead_letters\{method="push"\} 0/);
  });
});
