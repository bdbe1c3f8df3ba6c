import { DataSource } from 'typeorm';
import { DeliveryState } from '../src/delivery/delivery.entity';
import { enqueueNotices } from '../src/delivery/outbox';
import { TestDatabase, TestGateway } from './support/app';
import { Writable } from 'node:stream';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/observability/logger';
import { assertion, jwksOf, makeKey, TestKey } from './support/keys';

const PUSH = 'urn:ietf:rfc:8935';
const FLAG = 'urn:risk-exchange:event:account-flag';
const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

describe('SSF streams over GraphQL, the subject cap and the rate budget (e2e, HTTP + PostgreSQL)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let ds: DataSource;
  const keys: Record<string, TestKey> = {};
  const logLines: string[] = [];

  beforeAll(async () => {
    db = await TestDatabase.create();
    // Built by hand to keep every log line (debug level): the push Authorization header must never be in one.
    process.env.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS ??= '0';
    const operatorKey = await makeKey('operator-test-1');
    const config = loadConfig({
      ...(db.url ? { DATABASE_URL: db.url } : {}),
      DATA_DIR: db.dataDir,
      OPERATOR_JWKS: jwksOf(operatorKey),
      LOG_LEVEL: 'debug',
      HOST: '127.0.0.1',
      AUDIT_CHECKPOINT_SECONDS: '0',
      SSF_MIN_VERIFICATION_INTERVAL_SECONDS: '1',
      SSF_MAX_SUBJECTS_PER_STREAM: '5',
      RATE_LIMIT_COST_PER_MINUTE: 'INTERNAL_SCORER=6',
    });
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    const app = await createApp(config, createLogger(config.logLevel, sink));
    await app.listen({ port: 0, host: '127.0.0.1' });
    gw = new TestGateway(app, `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`, config, operatorKey);
    ds = gw.app.get(DataSource);
    keys['bank-a'] = await gw.registerPartner('bank-a', 'BANK');
    keys['shop-b'] = await gw.registerPartner('shop-b', 'ECOMMERCE');
    keys['scorer-c'] = await gw.registerPartner('scorer-c', 'INTERNAL_SCORER');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  async function call(partner: string, method: string, path: string, body?: unknown) {
    const headers: Record<string, string> = { authorization: `Bearer ${await assertion(keys[partner], partner)}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${gw.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }
  const gql = (partner: string, query: string, variables: Record<string, unknown> = {}) => gw.as(partner, keys[partner], query, variables);

  it('GraphQL mirror: the same service, rules and 404s as the SSF endpoints, and deliveryStatus with backlog and dead letters', async () => {
    const gql = (partner: string, query: string, variables: Record<string, unknown> = {}) => gw.as(partner, keys[partner], query, variables);
    const STREAM = 'streamId aud iss eventsRequested eventsDelivered deliveryMethod endpointUrl hasAuthorizationHeader description signingAlg status statusReason minVerificationInterval';
    const created = await gql('shop-b', `mutation($i: CreateStreamInput!) { createStream(input: $i) { ${STREAM} } }`, { i: { eventsRequested: [FLAG], deliveryMethod: 'PUSH', endpointUrl: 'https://shop.example.com/ssf', authorizationHeader: 'Bearer gql-secret', signingAlg: 'RS256', description: 'gql' } });
    expect(created.errors).toBeUndefined();
    const s = created.data!.createStream;
    expect(s).toEqual({ streamId: expect.any(String), aud: 'shop-b', iss: gw.config.issuer, eventsRequested: [FLAG], eventsDelivered: [FLAG], deliveryMethod: 'PUSH', endpointUrl: 'https://shop.example.com/ssf', hasAuthorizationHeader: true, description: 'gql', signingAlg: 'RS256', status: 'ENABLED', statusReason: null, minVerificationInterval: 1 });
    // The SSF endpoint reads the same stream.
    expect((await call('shop-b', 'GET', `/ssf/streams?stream_id=${s.streamId}`)).body).toMatchObject({ stream_id: s.streamId, signing_alg: 'RS256', delivery: { method: PUSH } });
    // Validation is the service's: a bad URL is BAD_USER_INPUT naming the field.
    const bad = await gql('shop-b', 'mutation($i: CreateStreamInput!) { createStream(input: $i) { streamId } }', { i: { deliveryMethod: 'PUSH', endpointUrl: 'http://shop.example.com/' } });
    expect(bad.errors![0]).toMatchObject({ message: expect.stringMatching(/^delivery.endpoint_url must be an https URL/), extensions: { code: 'BAD_USER_INPUT', field: 'delivery.endpoint_url' } });
    // Update merges: only the URL changes, the header stays; then back to POLL.
    const updated = await gql('shop-b', `mutation($i: UpdateStreamInput!) { updateStream(input: $i) { ${STREAM} } }`, { i: { streamId: s.streamId, endpointUrl: 'https://shop.example.com/v2' } });
    expect(updated.data!.updateStream).toMatchObject({ deliveryMethod: 'PUSH', endpointUrl: 'https://shop.example.com/v2', hasAuthorizationHeader: true, description: 'gql' });
    const poll = await gql('shop-b', 'mutation($i: UpdateStreamInput!) { updateStream(input: $i) { deliveryMethod endpointUrl hasAuthorizationHeader description } }', { i: { streamId: s.streamId, deliveryMethod: 'POLL', description: null } });
    expect(poll.data!.updateStream).toEqual({ deliveryMethod: 'POLL', endpointUrl: `${gw.config.issuer}/ssf/poll/${s.streamId}`, hasAuthorizationHeader: false, description: null });
    // Another partner's stream is NOT_FOUND like a missing one, on every operation.
    for (const q of [
      'query($s: ID!) { stream(streamId: $s) { streamId } }',
      'query($s: ID!) { deliveryStatus(streamId: $s) { backlog } }',
      'mutation($s: ID!) { setStreamStatus(input: { streamId: $s, status: PAUSED }) { status } }',
      'mutation($s: ID!) { addStreamSubjects(input: { streamId: $s, subjects: ["v1:gql-subject-0001"] }) { subjectCount } }',
      'mutation($s: ID!) { verifyStream(input: { streamId: $s }) { jti } }',
      'mutation($s: ID!) { deleteStream(streamId: $s) }',
    ]) {
      const other = await gql('bank-a', q, { s: s.streamId });
      const missing = await gql('bank-a', q, { s: '00000000-0000-4000-8000-000000000000' });
      expect({ q, code: other.errors?.[0].extensions?.code, message: other.errors?.[0].message }).toEqual({ q, code: 'NOT_FOUND', message: `no stream "${s.streamId}" of yours` });
      expect(missing.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    }
    // Bulk subjects, bounded: 1..1000 per call, each id checked.
    const subjects = Array.from({ length: 3 }, (_, i) => `v1:gql-subject-000${i}`);
    const added = await gql('shop-b', 'mutation($i: StreamSubjectsInput!) { addStreamSubjects(input: $i) { streamId subjectCount } }', { i: { streamId: s.streamId, subjects } });
    expect(added.data!.addStreamSubjects).toEqual({ streamId: s.streamId, subjectCount: 3 });
    const tooMany = await gql('shop-b', 'mutation($i: StreamSubjectsInput!) { addStreamSubjects(input: $i) { subjectCount } }', { i: { streamId: s.streamId, subjects: Array.from({ length: 1001 }, (_, i) => `v1:gql-bulk-${String(i).padStart(6, '0')}`) } });
    expect(tooMany.errors![0]).toMatchObject({ message: 'subjects must list 1..1000 subject ids', extensions: { code: 'BAD_USER_INPUT' } });
    const badId = await gql('shop-b', 'mutation($i: StreamSubjectsInput!) { addStreamSubjects(input: $i) { subjectCount } }', { i: { streamId: s.streamId, subjects: ['v1:fine-subject-01', 'bad id'] } });
    expect(badId.errors![0]).toMatchObject({ message: expect.stringMatching(/^subjects\[1\] must be 8\.\.256 characters/), extensions: { code: 'BAD_USER_INPUT' } });
    const removed = await gql('shop-b', 'mutation($i: StreamSubjectsInput!) { removeStreamSubjects(input: $i) { subjectCount } }', { i: { streamId: s.streamId, subjects: [subjects[0], 'v1:never-added-000'] } });
    expect(removed.data!.removeStreamSubjects.subjectCount).toBe(2);
    // Verification: the jti is the delivery row; inside the interval RATE_LIMITED with retryAfter.
    const verified = await gql('shop-b', 'mutation($i: VerifyStreamInput!) { verifyStream(input: $i) { jti } }', { i: { streamId: s.streamId, state: 'gql-state' } });
    const [row] = await ds.query('SELECT stream_id, event_type, payload FROM delivery WHERE id = $1', [verified.data!.verifyStream.jti]);
    expect(row).toMatchObject({ stream_id: s.streamId, event_type: VERIFICATION, payload: { sub_id: { format: 'opaque', id: s.streamId }, events: { [VERIFICATION]: { state: 'gql-state' } } } });
    const soon = await gql('shop-b', 'mutation($i: VerifyStreamInput!) { verifyStream(input: $i) { jti } }', { i: { streamId: s.streamId } });
    expect(soon.errors![0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 1 });
    // deliveryStatus: backlog (PENDING + HELD), oldest pending age, last error, dead letters (paged).
    await ds.transaction((tx) =>
      enqueueNotices(tx, Array.from({ length: 3 }, () => ({ streamId: s.streamId, receiver: 'shop-b', eventId: null, eventType: FLAG, payload: { aud: 'shop-b', events: { [FLAG]: {} } }, state: DeliveryState.PENDING, push: false }))),
    );
    const dead = await ds.query(`SELECT id FROM delivery WHERE stream_id = $1 AND event_type = $2 ORDER BY created_at, id LIMIT 2`, [s.streamId, FLAG]);
    await ds.query(`UPDATE delivery SET state = 'DEAD', attempts = 8, last_error = 'HTTP 503 from the receiver' WHERE id = ANY($1::uuid[])`, [dead.map((d: any) => d.id)]);
    const status = await gql('shop-b', 'query($s: ID!) { deliveryStatus(streamId: $s, first: 1) { streamId status backlog oldestPendingAgeSeconds lastError deadLetterCount deadLetters { totalCount pageInfo { hasNextPage endCursor } edges { node { jti eventType attempts lastError } } } } }', { s: s.streamId });
    expect(status.errors).toBeUndefined();
    const d = status.data!.deliveryStatus;
    expect(d).toMatchObject({ streamId: s.streamId, status: 'ENABLED', backlog: 2, lastError: 'HTTP 503 from the receiver', deadLetterCount: 2, deadLetters: { totalCount: 2, pageInfo: { hasNextPage: true } } });
    expect(d.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(d.deadLetters.edges).toHaveLength(1);
    expect(d.deadLetters.edges[0].node).toMatchObject({ eventType: FLAG, attempts: 8, lastError: 'HTTP 503 from the receiver' });
    const next = await gql('shop-b', 'query($s: ID!, $a: String) { deliveryStatus(streamId: $s, first: 1, after: $a) { deadLetters { pageInfo { hasNextPage } edges { node { jti } } } } }', { s: s.streamId, a: d.deadLetters.pageInfo.endCursor });
    const jtis = [d.deadLetters.edges[0].node.jti, next.data!.deliveryStatus.deadLetters.edges[0].node.jti];
    expect(jtis.sort()).toEqual(dead.map((x: any) => x.id).sort());
    expect(next.data!.deliveryStatus.deadLetters.pageInfo.hasNextPage).toBe(false);
    // Status over GraphQL: paused holds the backlog; the list and delete work.
    expect((await gql('shop-b', 'mutation($s: ID!) { setStreamStatus(input: { streamId: $s, status: PAUSED, reason: "gql" }) { status reason } }', { s: s.streamId })).data!.setStreamStatus).toEqual({ status: 'PAUSED', reason: 'gql' });
    expect((await ds.query(`SELECT count(*)::int AS n FROM delivery WHERE stream_id = $1 AND state = 'HELD'`, [s.streamId]))[0].n).toBe(2);
    const list = await gql('shop-b', '{ streams(first: 100) { totalCount edges { node { streamId } } } }');
    expect(list.data!.streams.edges.map((e: any) => e.node.streamId)).toContain(s.streamId);
    expect(list.data!.streams.totalCount).toBe(list.data!.streams.edges.length);
    expect((await gql('shop-b', 'mutation($s: ID!) { deleteStream(streamId: $s) }', { s: s.streamId })).data!.deleteStream).toBe(s.streamId);
    const audited = await ds.query(`SELECT action FROM audit_log WHERE target = $1 AND actor = 'shop-b' AND details->>'outcome' = 'ok' ORDER BY seq`, [s.streamId]);
    expect(audited.map((a: any) => a.action)).toEqual(['stream.create', 'stream.update', 'stream.update', 'stream.subjects', 'stream.subjects', 'stream.verify', 'stream.status', 'stream.delete']);
    // Failed mutations are audited too (the exception filter), and the header never reaches the log.
    const failed = await ds.query(`SELECT details FROM audit_log WHERE action = 'stream.verify' AND actor = 'shop-b' AND details->>'outcome' = 'error'`);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(await ds.query(`SELECT details FROM audit_log`))).not.toContain('gql-secret');
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toContain('gql-secret');
  });

  it('caps the subjects of a stream (SSF_MAX_SUBJECTS_PER_STREAM) with a clear error, and nothing of the refused call is kept', async () => {
    const id = (await call('bank-a', 'POST', '/ssf/streams', {})).body.stream_id;
    const add = (subjects: string[]) => gql('bank-a', 'mutation($i: StreamSubjectsInput!) { addStreamSubjects(input: $i) { subjectCount } }', { i: { streamId: id, subjects } });
    expect((await add(['v1:cap-subject-01', 'v1:cap-subject-02', 'v1:cap-subject-03', 'v1:cap-subject-04'])).data!.addStreamSubjects.subjectCount).toBe(4);
    const over = await add(['v1:cap-subject-05', 'v1:cap-subject-06']);
    expect(over.errors![0]).toMatchObject({ message: 'a stream may watch at most 5 subjects (SSF_MAX_SUBJECTS_PER_STREAM); this one would watch 6', extensions: { code: 'BAD_USER_INPUT' } });
    const overHttp = await call('bank-a', 'POST', '/ssf/subjects:add', { stream_id: id, subject: { format: 'opaque', id: 'v1:cap-subject-05' } });
    expect(overHttp.status).toBe(200); // the fifth fits
    const sixth = await call('bank-a', 'POST', '/ssf/subjects:add', { stream_id: id, subject: { format: 'opaque', id: 'v1:cap-subject-06' } });
    expect(sixth).toMatchObject({ status: 400, body: { err: 'invalid_request', description: expect.stringMatching(/at most 5 subjects/) } });
    expect((await ds.query('SELECT count(*)::int AS n FROM ssf_stream_subject WHERE stream_id = $1', [id]))[0].n).toBe(5);
    // Re-adding a watched subject is fine at the cap.
    expect((await add(['v1:cap-subject-01'])).data!.addStreamSubjects.subjectCount).toBe(5);
  });

  it("every SSF call draws on the partner's one budget (shared with GraphQL): 429 with Retry-After once it is spent", async () => {
    // INTERNAL_SCORER=6 per minute: a GraphQL createStream (cost 1 + its fields) and SSF calls at 1 each.
    let status = 0;
    let calls = 0;
    let last: Awaited<ReturnType<typeof call>> | undefined;
    while (status !== 429 && calls < 10) {
      last = await call('scorer-c', 'GET', '/ssf/streams');
      status = last.status;
      calls++;
    }
    expect(status).toBe(429);
    expect(calls).toBeGreaterThanOrEqual(7); // six fit in the budget (more only if a new minute began meanwhile)
    expect(last!.body).toEqual({ err: 'rate_limited', description: expect.stringMatching(/^the query-cost budget of 6 per minute is spent; retry after \d+ s$/) });
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    const viaGraphql = await gql('scorer-c', '{ streams { totalCount } }');
    expect(viaGraphql.errors![0].extensions!.code).toBe('RATE_LIMITED');
    // Another partner's budget is its own.
    expect((await call('shop-b', 'GET', '/ssf/streams')).status).toBe(200);
  });
});
