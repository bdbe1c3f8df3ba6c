import { codeOf, TestDatabase, TestGateway } from './support/app';
import { assertion, TestKey } from './support/keys';
import { rawRequest } from './support/raw-http';
import { signal } from './support/sets';

const ME = '{ me { id } }';
const SET_TYPE = 'application/secevent+jwt';

/** Issue 10, findings 5, 6 and 13 (b): POST /events and the body of every route. */
describe('POST /events and request bodies: authenticated before read, limited per route, one budget, one error shape (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let bank: TestKey;

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { RATE_LIMIT_COST_PER_MINUTE: 'BANK=60', AUDIT_CHECKPOINT_SECONDS: '0' });
    bank = await gw.registerPartner('bank-a', 'BANK');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  const push = async (key: TestKey, partner: string, body: string, type = SET_TYPE) =>
    fetch(`${gw.url}/events`, { method: 'POST', headers: { authorization: `Bearer ${await assertion(key, partner)}`, 'content-type': type }, body });

  it('answers an unauthenticated upload with 401 before reading it, on every route', async () => {
    const huge = 8_000_000; // under the old 9 MiB limit: it used to be read in full before the 401
    for (const [path, type] of [['/events', 'application/json'], ['/events', SET_TYPE], ['/graphql', 'application/json'], ['/nothing-here', 'application/json']]) {
      const answer = await rawRequest(gw.url, { path, headers: { 'content-type': type }, contentLength: huge, sendBytes: 64 * 1024 });
      expect({ path, type, status: answer?.status }).toEqual({ path, type, status: 401 });
      expect(answer!.headers.connection).toBe('close');
    }
    const events = await rawRequest(gw.url, { path: '/events', headers: { 'content-type': SET_TYPE, authorization: 'Bearer not-a-jwt', 'x-request-id': 'early-401' }, contentLength: huge, sendBytes: 1024 });
    expect(events!.status).toBe(401);
    expect(events!.headers['x-request-id']).toBe('early-401');
    expect(JSON.parse(events!.body)).toEqual({ err: 'authentication_failed', description: expect.stringMatching(/^authentication failed/) });
    // An authenticated push of one SET still goes through.
    expect((await push(bank, 'bank-a', await signal(bank, 'bank-a'))).status).toBe(202);
  });

  it('gives each route its own body limit, announced or not', async () => {
    const token = await assertion(bank, 'bank-a');
    // /events: one SET (16 KiB + a line break).
    const big = await rawRequest(gw.url, { path: '/events', headers: { 'content-type': SET_TYPE, authorization: `Bearer ${token}` }, contentLength: 16 * 1024 + 17, sendBytes: 0 });
    expect(big!.status).toBe(413);
    expect(JSON.parse(big!.body)).toEqual({ err: 'invalid_request', description: 'the body is larger than 16400 bytes: send one SET of at most 16 KiB' });
    const streamed = await fetch(`${gw.url}/events`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': SET_TYPE }, body: 'x'.repeat(20_000) });
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toEqual({ err: 'invalid_request', description: expect.stringMatching(/larger than 16400 bytes/) });
    // /graphql: a full publishEvents batch (500 tokens of 16 KiB) and not a byte more.
    const limit = 500 * (16 * 1024 + 3) + 6 * 64 * 1024 + 4 * 1024;
    const over = await rawRequest(gw.url, { path: '/graphql', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, contentLength: limit + 1, sendBytes: 1024 });
    expect(over?.status).toBe(413);
    expect(JSON.parse(over!.body).errors[0].extensions.code).toBe('BODY_TOO_LARGE');
    const full = JSON.stringify({ query: 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status } }', variables: { t: Array.from({ length: 500 }, () => 'a'.repeat(16 * 1024)) } });
    expect(Buffer.byteLength(full)).toBeLessThan(limit);
    const shop = await gw.registerPartner('shop-b', 'ECOMMERCE'); // BANK's budget here is 60, this costs 501
    const batch = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${await assertion(shop, 'shop-b')}`, 'content-type': 'application/json' }, body: full });
    expect(batch.status).toBe(200);
    const statuses = ((await batch.json()) as { data: { publishEvents: Array<{ status: string }> } }).data.publishEvents.map((r) => r.status);
    expect(new Set(statuses)).toEqual(new Set(['REJECTED']));
    expect(statuses).toHaveLength(500);
  });

  it('answers every /events error as {err, description}', async () => {
    const set = await signal(bank, 'bank-a');
    // Any other media type (Fastify used to answer its own 415 for types it has no parser for).
    for (const [type, body] of [['application/octet-stream', set], ['text/plain', set], ['application/json', JSON.stringify({ set })]]) {
      const wrongType = await push(bank, 'bank-a', body, type);
      expect({ type, status: wrongType.status, body: await wrongType.json() }).toEqual({ type, status: 400, body: { err: 'invalid_request', description: `send one SET with Content-Type: ${SET_TYPE}` } });
    }
    const asOperator = await push(gw.operatorKey, 'operator', set);
    expect(asOperator.status).toBe(403);
    expect(await asOperator.json()).toEqual({ err: 'access_denied', description: expect.stringMatching(/lack the permission PublishEvents/) });
    const noAuth = await fetch(`${gw.url}/events`, { method: 'POST', headers: { 'content-type': SET_TYPE }, body: set });
    expect(noAuth.status).toBe(401);
    expect(await noAuth.json()).toEqual({ err: 'authentication_failed', description: expect.stringMatching(/^authentication failed/) });
    const garbage = await push(bank, 'bank-a', 'not.a.set');
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toEqual({ err: 'invalid_request', description: expect.any(String) });
    expect((await push(bank, 'bank-a', set)).status).toBe(202);
  });

  it('draws POST /events and GraphQL from one budget: 429 with Retry-After and {err, description}', async () => {
    // BANK=60 per minute; stay inside one minute window.
    if (new Date().getSeconds() > 45) await new Promise((r) => setTimeout(r, (61 - new Date().getSeconds()) * 1000));
    const spender = await gw.registerPartner('bank-s', 'BANK');
    let limited: Awaited<ReturnType<TestGateway['gql']>> | undefined;
    for (let i = 0; i < 80 && !limited; i++) {
      const res = await gw.as('bank-s', spender, ME);
      if (codeOf(res) === 'RATE_LIMITED') limited = res;
    }
    expect(limited?.status).toBe(429);
    const refused = await push(spender, 'bank-s', await signal(spender, 'bank-s'));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toEqual({ err: 'rate_limited', description: expect.stringMatching(/^the query-cost budget of 60 per minute is spent; retry after \d+ s$/) });

    // And the other way round: pushes spend the budget GraphQL then finds spent.
    const pusher = await gw.registerPartner('bank-p', 'BANK');
    const statuses: number[] = [];
    for (let i = 0; i < 40 && !statuses.includes(429); i++) statuses.push((await push(pusher, 'bank-p', await signal(pusher, 'bank-p'))).status);
    expect(statuses.slice(0, 25)).toEqual(Array(25).fill(202)); // 2 per SET, like publishEvents with one token
    expect(statuses).toContain(429);
    expect(codeOf(await gw.as('bank-p', pusher, ME))).toBe('RATE_LIMITED');
    // A partner with budget left still pushes.
    expect((await push(bank, 'bank-a', await signal(bank, 'bank-a'))).status).toBe(202);
  });
});
