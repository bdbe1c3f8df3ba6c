import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { StreamStatus } from '../src/delivery/stream.entity';
import { StreamsService } from '../src/delivery/streams/streams.service';
import { enqueueNotices } from '../src/delivery/outbox';
import { DeliveryState } from '../src/delivery/delivery.entity';
import { NoticeSigner } from '../src/delivery/notice-signer';
import { TestDatabase, TestGateway } from './support/app';
import { assertion, TestKey } from './support/keys';
import { SUBJECT } from './support/sets';

const PUSH = 'urn:ietf:rfc:8935';
const POLL = 'urn:ietf:rfc:8936';
const FLAG = 'urn:risk-exchange:event:account-flag';
const SIGNAL = 'urn:risk-exchange:event:risk-signal';
const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';
const STREAM_UPDATED = 'https://schemas.openid.net/secevent/ssf/event-type/stream-updated';

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

describe('SSF streams: configuration, status, subjects, verification, metadata (e2e, HTTP + PostgreSQL)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let ds: DataSource;
  const keys: Record<string, TestKey> = {};

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0', SSF_MIN_VERIFICATION_INTERVAL_SECONDS: '1', SSF_MAX_STREAMS_PER_PARTNER: '8', DELIVERY_PAUSED_CAP: '2', ALLOW_INSECURE_PUSH: 'true' });
    ds = gw.app.get(DataSource);
    keys['bank-a'] = await gw.registerPartner('bank-a', 'BANK');
    keys['shop-b'] = await gw.registerPartner('shop-b', 'ECOMMERCE');
    keys['court-d'] = await gw.registerPartner('court-d', 'LEGAL');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  async function call(partner: string | null, method: string, path: string, body?: unknown, raw?: string): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (partner) headers.authorization = `Bearer ${await assertion(keys[partner], partner)}`;
    if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${gw.url}${path}`, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }
  const create = (partner: string, body: unknown) => call(partner, 'POST', '/ssf/streams', body);

  it('serves the transmitter metadata, unauthenticated, with every URL under the issuer', async () => {
    const res = await call(null, 'GET', '/.well-known/ssf-configuration');
    expect(res.status).toBe(200);
    const issuer = gw.config.issuer;
    expect(issuer).toMatch(/^http:\/\/localhost:\d+$/);
    expect(res.body).toEqual({
      spec_version: '1_0',
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      delivery_methods_supported: [PUSH, POLL],
      configuration_endpoint: `${issuer}/ssf/streams`,
      status_endpoint: `${issuer}/ssf/status`,
      add_subject_endpoint: `${issuer}/ssf/subjects:add`,
      remove_subject_endpoint: `${issuer}/ssf/subjects:remove`,
      verification_endpoint: `${issuer}/ssf/verify`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
      default_subjects: 'NONE',
    });
  });

  it('creates (201), reads one and the list, patches (merge), replaces (put), deletes (204) with its subjects and ledger rows', async () => {
    const created = await create('bank-a', { events_requested: [FLAG, SIGNAL, 'urn:example:unknown'], description: 'fraud desk' });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const id = created.body.stream_id;
    expect(created.body).toEqual({
      stream_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iss: gw.config.issuer,
      aud: 'bank-a',
      events_supported: expect.arrayContaining([FLAG, SIGNAL, VERIFICATION, STREAM_UPDATED]),
      events_requested: [FLAG, SIGNAL, 'urn:example:unknown'],
      events_delivered: [FLAG, SIGNAL],
      delivery: { method: POLL, endpoint_url: `${gw.config.issuer}/ssf/poll/${id}` },
      description: 'fraud desk',
      min_verification_interval: 1,
      signing_alg: 'EdDSA',
    });
    const one = await call('bank-a', 'GET', `/ssf/streams?stream_id=${id}`);
    expect(one).toMatchObject({ status: 200, body: created.body });
    const list = await call('bank-a', 'GET', '/ssf/streams');
    expect(list.status).toBe(200);
    expect(list.body).toEqual([created.body]);
    expect((await call('shop-b', 'GET', '/ssf/streams')).body).toEqual([]);

    // PATCH merges: only what is sent changes; transmitter-supplied values may be repeated unchanged.
    const patched = await call('bank-a', 'PATCH', '/ssf/streams', { stream_id: id, iss: gw.config.issuer, description: 'renamed', delivery: { method: PUSH, endpoint_url: 'https://receiver.example.com/events', authorization_header: 'Bearer s3cr3t-push-token' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ events_requested: [FLAG, SIGNAL, 'urn:example:unknown'], description: 'renamed', delivery: { method: PUSH, endpoint_url: 'https://receiver.example.com/events' } });
    expect(JSON.stringify(patched.body)).not.toContain('s3cr3t'); // never echoed
    const stored = await ds.query('SELECT authorization_header FROM ssf_stream WHERE id = $1', [id]);
    expect(stored[0].authorization_header).toBe('Bearer s3cr3t-push-token');
    // A PATCH of the delivery without the header keeps it (reads never show it, so it cannot be repeated).
    await call('bank-a', 'PATCH', '/ssf/streams', { stream_id: id, delivery: { method: PUSH, endpoint_url: 'https://receiver.example.com/v2' } });
    expect((await ds.query('SELECT authorization_header FROM ssf_stream WHERE id = $1', [id]))[0].authorization_header).toBe('Bearer s3cr3t-push-token');

    // PUT replaces: what is absent is removed (description, header), and a poll stream again without delivery.
    const replaced = await call('bank-a', 'PUT', '/ssf/streams', { stream_id: id, events_requested: [FLAG], signing_alg: 'RS256' });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ events_requested: [FLAG], events_delivered: [FLAG], delivery: { method: POLL, endpoint_url: `${gw.config.issuer}/ssf/poll/${id}` }, signing_alg: 'RS256' });
    expect(replaced.body).not.toHaveProperty('description');
    expect((await ds.query('SELECT authorization_header FROM ssf_stream WHERE id = $1', [id]))[0].authorization_header).toBeNull();

    // Delete: 204, its subjects and ledger rows go with it, and it reads as missing.
    expect((await call('bank-a', 'POST', '/ssf/subjects:add', { stream_id: id, subject: { format: 'opaque', id: SUBJECT } })).status).toBe(200);
    await ds.transaction((tx) => enqueueNotices(tx, [{ streamId: id, receiver: 'bank-a', eventId: null, eventType: FLAG, payload: { aud: 'bank-a', events: { [FLAG]: {} } }, state: DeliveryState.PENDING, push: false }]));
    const deleted = await call('bank-a', 'DELETE', `/ssf/streams?stream_id=${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    const [{ subjects, deliveries }] = await ds.query('SELECT (SELECT count(*)::int FROM ssf_stream_subject WHERE stream_id = $1) AS subjects, (SELECT count(*)::int FROM delivery WHERE stream_id = $1) AS deliveries', [id]);
    expect({ subjects, deliveries }).toEqual({ subjects: 0, deliveries: 0 });
    expect((await call('bank-a', 'GET', `/ssf/streams?stream_id=${id}`)).status).toBe(404);
    const audited = await ds.query(`SELECT action, details FROM audit_log WHERE target = $1 ORDER BY seq`, [id]);
    expect(audited.map((a: any) => a.action)).toEqual(['stream.create', 'stream.update', 'stream.update', 'stream.update', 'stream.subjects', 'stream.delete']);
    expect(JSON.stringify(audited)).not.toContain('s3cr3t');
    expect(audited[1].details).toMatchObject({ authorizationHeaderSet: true, mode: 'patch' });
    // ...and a new stream can be created.
    expect((await create('bank-a', {})).status).toBe(201);
  });

  it("answers another partner's stream exactly like a missing one (404, same body)", async () => {
    const mine = (await create('bank-a', { events_requested: [FLAG] })).body.stream_id;
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const [method, path, body] of [
      ['GET', '/ssf/streams?stream_id=ID', undefined],
      ['PATCH', '/ssf/streams', { stream_id: 'ID', description: 'x' }],
      ['PUT', '/ssf/streams', { stream_id: 'ID' }],
      ['DELETE', '/ssf/streams?stream_id=ID', undefined],
      ['GET', '/ssf/status?stream_id=ID', undefined],
      ['POST', '/ssf/status', { stream_id: 'ID', status: 'paused' }],
      ['POST', '/ssf/subjects:add', { stream_id: 'ID', subject: { format: 'opaque', id: SUBJECT } }],
      ['POST', '/ssf/subjects:remove', { stream_id: 'ID', subject: { format: 'opaque', id: SUBJECT } }],
      ['POST', '/ssf/verify', { stream_id: 'ID', state: 's' }],
    ] as const) {
      const fill = (id: string) => ({ path: path.replace('ID', id), body: body === undefined ? undefined : JSON.parse(JSON.stringify(body).replace('ID', id)) });
      const theirs = fill(mine);
      const other = await call('shop-b', method, theirs.path, theirs.body);
      const none = fill(missing);
      const absent = await call('shop-b', method, none.path, none.body);
      expect({ method, path, status: other.status, body: other.body }).toEqual({ method, path, status: 404, body: { err: 'not_found', description: `no stream "${mine}" of yours` } });
      expect({ method, path, status: absent.status, body: absent.body }).toEqual({ method, path, status: 404, body: { err: 'not_found', description: `no stream "${missing}" of yours` } });
    }
    // The owner still reads it, unchanged.
    expect(await call('bank-a', 'GET', `/ssf/streams?stream_id=${mine}`)).toMatchObject({ status: 200, body: { stream_id: mine, events_requested: [FLAG] } });
  });

  it('refuses invalid configuration with 400 and an error naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [[], /^the request body must be a JSON object/],
      [{ events_requested: 'x' }, /^events_requested must be an array/],
      [{ events_requested: [1] }, /^events_requested must hold strings/],
      [{ events_requested: Array.from({ length: 33 }, (_, i) => `urn:x:${i}`) }, /^events_requested may list at most 32/],
      [{ evnts_requested: [FLAG] }, /^evnts_requested is not a stream configuration property/],
      [{ stream_id: 'mine' }, /^stream_id is supplied by the gateway/],
      [{ iss: 'https://elsewhere.example' }, /^iss must be/],
      [{ aud: 'bank-a' }, /^aud must be "shop-b"/],
      [{ min_verification_interval: 5 }, /^min_verification_interval must be 1/],
      [{ delivery: { method: 'urn:ietf:rfc:9999' } }, /^delivery.method must be/],
      [{ delivery: { method: PUSH } }, /^delivery.endpoint_url is required for push/],
      [{ delivery: { method: PUSH, endpoint_url: 'ftp://receiver.example.com/' } }, /^delivery.endpoint_url must be an https URL \(plain http only to a loopback host\)/],
      [{ delivery: { method: PUSH, endpoint_url: 'http://receiver.example.com/' } }, /^delivery.endpoint_url must be an https URL/],
      [{ delivery: { method: PUSH, endpoint_url: 'https://u:p@receiver.example.com/' } }, /^delivery.endpoint_url must not carry credentials/],
      [{ delivery: { method: PUSH, endpoint_url: 'https://receiver.example.com/', authorization_header: 'Bearer a\r\nX-Evil: 1' } }, /^delivery.authorization_header must be/],
      [{ delivery: { method: POLL, endpoint_url: 'https://receiver.example.com/' } }, /^delivery.endpoint_url of a poll stream is supplied by the gateway/],
      [{ delivery: { method: POLL, authorization_header: 'x' } }, /^delivery.authorization_header applies to push only/],
      [{ description: 'x'.repeat(1025) }, /^description must be a string of at most 1024/],
      [{ signing_alg: 'HS256' }, /^signing_alg must be one of EdDSA, RS256/],
    ];
    for (const [body, message] of cases) {
      const res = await create('shop-b', body);
      expect({ body, status: res.status, err: res.body.err }).toEqual({ body, status: 400, err: 'invalid_request' });
      expect(res.body.description).toMatch(message);
    }
    expect(await call('shop-b', 'PATCH', '/ssf/streams', [])).toMatchObject({ status: 400, body: { err: 'invalid_request', description: 'the request body must be a JSON object' } });
    expect(await call('shop-b', 'PUT', '/ssf/streams', { description: 'x' })).toMatchObject({ status: 400, body: { err: 'invalid_request', description: 'stream_id is required' } });
    expect(await call('shop-b', 'DELETE', '/ssf/streams')).toMatchObject({ status: 400, body: { err: 'invalid_request', description: 'stream_id is required as a query parameter' } });
    const notJson = await call('shop-b', 'POST', '/ssf/streams', undefined, '{"events_requested": [');
    expect(notJson).toMatchObject({ status: 400, body: { err: 'invalid_request', description: 'the body is not valid JSON' } });
    const tooBig = await call('shop-b', 'POST', '/ssf/streams', { description: 'x'.repeat(17_000) });
    expect(tooBig).toMatchObject({ status: 413, body: { err: 'invalid_request', description: 'the body is larger than 16384 bytes' } });
    // http to loopback is allowed with ALLOW_INSECURE_PUSH=true (this gateway), and a valid push stream is created.
    const ok = await create('shop-b', { events_requested: [FLAG], delivery: { method: PUSH, endpoint_url: 'http://127.0.0.1:9/events' } });
    expect(ok).toMatchObject({ status: 201, body: { delivery: { method: PUSH, endpoint_url: 'http://127.0.0.1:9/events' } } });
  });

  it('caps the streams of a partner (SSF_MAX_STREAMS_PER_PARTNER) with 409, and the LEGAL kind may create streams', async () => {
    for (let i = 0; i < 8; i++) expect((await create('court-d', { description: `n${i}` })).status).toBe(201);
    const fifth = await create('court-d', {});
    expect(fifth).toMatchObject({ status: 409, body: { err: 'conflict', description: expect.stringMatching(/you already have 8 streams.*SSF_MAX_STREAMS_PER_PARTNER=8/) } });
    const first = (await call('court-d', 'GET', '/ssf/streams')).body[0].stream_id;
    expect((await call('court-d', 'DELETE', `/ssf/streams?stream_id=${first}`)).status).toBe(204);
    expect((await create('court-d', {})).status).toBe(201);
  });

  it('answers 401 with WWW-Authenticate (RFC 6750) and the SSF error body, then serves the same call authenticated', async () => {
    const none = await call(null, 'GET', '/ssf/streams');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="risk-exchange"');
    expect(none.body).toEqual({ err: 'authentication_failed', description: expect.stringMatching(/^authentication required: send "Authorization: Bearer <token>"/) });
    const bad = await fetch(`${gw.url}/ssf/streams`, { method: 'POST', headers: { authorization: 'Bearer not-a-token', 'content-type': 'application/json' }, body: '{}' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/^Bearer realm="risk-exchange", error="invalid_token", error_description="authentication failed/);
    expect(await bad.json()).toEqual({ err: 'authentication_failed', description: expect.stringMatching(/^authentication failed/) });
    expect((await call('bank-a', 'GET', '/ssf/streams')).status).toBe(200);
  });

  /** A LISTEN on the delivery channel from the test's own connection (PostgreSQL; on PGlite the wake-up is not observed here). */
  async function listen() {
    if (!db.url) return { next: async () => undefined as unknown, close: async () => undefined, skip: true };
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const heard: string[] = [];
    const waiters: Array<(s: string) => void> = [];
    client.on('notification', (n) => (waiters.length ? waiters.shift()!(n.payload ?? '') : heard.push(n.payload ?? '')));
    await client.query('LISTEN rx_delivery');
    return {
      next: () => (heard.length ? Promise.resolve(heard.shift()) : new Promise<string>((r) => waiters.push(r))),
      close: () => client.end(),
      skip: false,
    };
  }

  /** Signs the stream's pending rows as a poller would (NoticeSigner) and verifies each SET with the public JWKS. */
  async function fetchAndVerify(streamId: string, alg: string) {
    const rows = await ds.query(`SELECT id, token, payload, event_type FROM delivery WHERE stream_id = $1 AND state = 'PENDING' ORDER BY created_at`, [streamId]);
    const tokens = await ds.transaction((tx) => gw.app.get(NoticeSigner).tokensOf(tx, rows.map((r: any) => ({ id: r.id, token: r.token, payload: r.payload, alg }))));
    const jwks = createLocalJWKSet((await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet);
    const out = [];
    for (const r of rows) {
      const token = tokens.get(r.id)!;
      const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: gw.config.issuer, audience: 'bank-a', typ: 'secevent+jwt', algorithms: [alg] });
      expect(decodeProtectedHeader(token).alg).toBe(alg);
      out.push({ jti: r.id, type: r.event_type, payload, header: protectedHeader });
    }
    return out;
  }

  it('verification: 204, a verification SET carrying state that verifies with the JWKS (EdDSA and RS256), 429 inside min_verification_interval, then success', async () => {
    for (const alg of ['EdDSA', 'RS256']) {
      const id = (await create('bank-a', { events_requested: [FLAG], signing_alg: alg })).body.stream_id;
      const first = await call('bank-a', 'POST', '/ssf/verify', { stream_id: id, state: `state-${alg}` });
      expect(first.status).toBe(204);
      expect(first.body).toBeUndefined();
      const again = await call('bank-a', 'POST', '/ssf/verify', { stream_id: id, state: 'too-soon' });
      expect(again.status).toBe(429);
      expect(again.body).toEqual({ err: 'rate_limited', description: expect.stringMatching(/verification was requested less than 1 s ago \(min_verification_interval\); retry after 1 s/) });
      const retryAfter = Number(again.headers.get('retry-after'));
      expect(retryAfter).toBe(1);
      const sets = await fetchAndVerify(id, alg);
      expect(sets).toHaveLength(1);
      expect(sets[0].type).toBe(VERIFICATION);
      expect(sets[0].payload).toEqual({ iss: gw.config.issuer, aud: 'bank-a', iat: expect.any(Number), jti: sets[0].jti, sub_id: { format: 'opaque', id }, events: { [VERIFICATION]: { state: `state-${alg}` } } });
      expect(sets[0].header).toMatchObject({ typ: 'secevent+jwt', alg, kid: expect.any(String) });
      // After the interval, verification is accepted again (the refused request stored nothing).
      await new Promise((r) => setTimeout(r, retryAfter * 1000 + 50));
      expect((await call('bank-a', 'POST', '/ssf/verify', { stream_id: id })).status).toBe(204);
      const rows = await ds.query(`SELECT payload FROM delivery WHERE stream_id = $1 ORDER BY created_at`, [id]);
      expect(rows.map((r: any) => r.payload.events[VERIFICATION])).toEqual([{ state: `state-${alg}` }, {}]);
    }
    const audited = await ds.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'stream.verify' AND actor = 'bank-a'`);
    expect(audited[0].n).toBe(4);
  });

  it('status: paused holds (PENDING to HELD), enabled releases HELD to PENDING and notifies, disabled drops what was never sent; the paused cap keeps the newest', async () => {
    const id = (await create('shop-b', { events_requested: [FLAG] })).body.stream_id;
    const notice = (state: DeliveryState.PENDING | DeliveryState.HELD, n: number) =>
      ds.transaction((tx) => enqueueNotices(tx, Array.from({ length: n }, () => ({ streamId: id, receiver: 'shop-b', eventId: null, eventType: FLAG, payload: { aud: 'shop-b', events: { [FLAG]: {} } }, state, push: false }))));
    const states = async () => (await ds.query(`SELECT state, count(*)::int AS n FROM delivery WHERE stream_id = $1 GROUP BY state ORDER BY state`, [id])).map((r: any) => `${r.state}:${r.n}`);
    expect(await call('shop-b', 'GET', `/ssf/status?stream_id=${id}`)).toMatchObject({ status: 200, body: { stream_id: id, status: 'enabled' } });
    const [oldest] = await notice(DeliveryState.PENDING, 1);
    expect(await call('shop-b', 'POST', '/ssf/status', { stream_id: id, status: 'paused', reason: 'maintenance' })).toMatchObject({ status: 200, body: { stream_id: id, status: 'paused', reason: 'maintenance' } });
    expect(await states()).toEqual(['HELD:1']);
    // The fan-out stores HELD rows while paused; with DELIVERY_PAUSED_CAP=2 the oldest beyond 2 is dropped on enable.
    const newer = await notice(DeliveryState.HELD, 2);
    expect(await states()).toEqual(['HELD:3']);
    const listener = await listen();
    const enabled = await call('shop-b', 'POST', '/ssf/status', { stream_id: id, status: 'enabled' });
    expect(enabled).toMatchObject({ status: 200, body: { stream_id: id, status: 'enabled' } });
    expect(enabled.body).not.toHaveProperty('reason');
    expect(await states()).toEqual(['PENDING:2']);
    const left = (await ds.query(`SELECT id FROM delivery WHERE stream_id = $1`, [id])).map((r: any) => r.id).sort();
    expect(left).toEqual([...newer].sort());
    expect(left).not.toContain(oldest);
    if (!listener.skip) expect(await listener.next()).toBe(id); // pollers and pushers of every replica are woken
    await listener.close();
    // disabled: nothing is held; a notice already sent once stays in the ledger (HELD) for corrections.
    await ds.query(`UPDATE delivery SET first_sent_at = now(), token = 'x' WHERE id = $1`, [newer[0]]);
    expect(await call('shop-b', 'POST', '/ssf/status', { stream_id: id, status: 'disabled' })).toMatchObject({ status: 200, body: { status: 'disabled' } });
    expect(await states()).toEqual(['HELD:1']);
    expect((await call('shop-b', 'POST', '/ssf/verify', { stream_id: id })).body).toEqual({ err: 'invalid_request', description: expect.stringMatching(/the stream is disabled/) });
    for (const bad of [{ stream_id: id, status: 'stopped' }, { stream_id: id }, { stream_id: id, status: 'paused', reason: 7 }, { status: 'paused' }]) {
      const res = await call('shop-b', 'POST', '/ssf/status', bad);
      expect({ bad, status: res.status, err: res.body.err }).toEqual({ bad, status: 400, err: 'invalid_request' });
    }
    expect((await call('shop-b', 'POST', '/ssf/status', { stream_id: id, status: 'enabled' })).body).toMatchObject({ status: 'enabled' });
    expect(await states()).toEqual(['PENDING:1']);
    const audited = await ds.query(`SELECT details FROM audit_log WHERE action = 'stream.status' AND target = $1 ORDER BY seq`, [id]);
    expect(audited.map((a: any) => `${a.details.previous}>${a.details.status}`)).toEqual(['enabled>paused', 'paused>enabled', 'enabled>disabled', 'disabled>enabled']);
  });

  it('a status change made by the gateway sends stream-updated (SSF 8.1.5) to the stream', async () => {
    const id = (await create('bank-a', { events_requested: [FLAG] })).body.stream_id;
    const streams = gw.app.get(StreamsService);
    await streams.setStatusByGateway(id, StreamStatus.PAUSED, 'push failed 10 times in a row');
    expect(await call('bank-a', 'GET', `/ssf/status?stream_id=${id}`)).toMatchObject({ body: { status: 'paused', reason: 'push failed 10 times in a row' } });
    const sets = await fetchAndVerify(id, 'EdDSA');
    expect(sets.map((s) => s.payload)).toEqual([
      expect.objectContaining({ sub_id: { format: 'opaque', id }, events: { [STREAM_UPDATED]: { status: 'paused', reason: 'push failed 10 times in a row' } } }),
    ]);
    const [entry] = await ds.query(`SELECT actor, concerns FROM audit_log WHERE action = 'stream.status' AND target = $1`, [id]);
    expect(entry).toEqual({ actor: 'system', concerns: ['bank-a'] });
    await streams.setStatusByGateway(id, StreamStatus.ENABLED, 'receiver answers again');
    expect((await fetchAndVerify(id, 'EdDSA')).map((s) => (s.payload.events as any)[STREAM_UPDATED]?.status)).toEqual(['paused', 'enabled']);
  });

  it('subjects: add answers 200 with an empty body and remove 204, the same whether or not anything is known; only opaque profile ids', async () => {
    const id = (await create('bank-a', { events_requested: [FLAG] })).body.stream_id;
    const add = (subject: unknown, extra = {}) => call('bank-a', 'POST', '/ssf/subjects:add', { stream_id: id, subject, ...extra });
    const known = await add({ format: 'opaque', id: SUBJECT }, { verified: true });
    const unknown = await add({ format: 'opaque', id: 'v1:never-seen-subject-0001' });
    for (const res of [known, unknown]) {
      expect(res.status).toBe(200);
      expect(res.body).toBeUndefined();
    }
    expect((await add({ format: 'opaque', id: SUBJECT })).status).toBe(200); // again: idempotent
    expect((await ds.query('SELECT subject FROM ssf_stream_subject WHERE stream_id = $1 ORDER BY subject', [id])).map((r: any) => r.subject)).toEqual([SUBJECT, 'v1:never-seen-subject-0001'].sort());
    const refusals: Array<[unknown, RegExp]> = [
      [{ format: 'email', email: 'a@b.c' }, /^subject.format must be "opaque"/],
      [{ format: 'opaque', id: 'short' }, /^subject.id must be 8..256 characters/],
      [{ format: 'opaque', id: SUBJECT, extra: 1 }, /^extra is not a property/],
      [undefined, /^subject is required/],
    ];
    for (const [subject, message] of refusals) {
      const res = await add(subject);
      expect({ subject, status: res.status, err: res.body.err }).toEqual({ subject, status: 400, err: 'invalid_request' });
      expect(res.body.description).toMatch(message);
    }
    for (const subject of [SUBJECT, 'v1:not-there-either-0001']) {
      const res = await call('bank-a', 'POST', '/ssf/subjects:remove', { stream_id: id, subject: { format: 'opaque', id: subject } });
      expect(res.status).toBe(204);
      expect(res.body).toBeUndefined();
    }
    expect((await ds.query('SELECT subject FROM ssf_stream_subject WHERE stream_id = $1', [id])).map((r: any) => r.subject)).toEqual(['v1:never-seen-subject-0001']);
    const audited = await ds.query(`SELECT details FROM audit_log WHERE action = 'stream.subjects' AND target = $1 ORDER BY seq`, [id]);
    expect(audited.map((a: any) => [a.details.op, a.details.subjects, a.details.watched])).toEqual([['add', 1, 1], ['add', 1, 2], ['add', 1, 2], ['remove', 1, 1], ['remove', 1, 1]]);
  });
});
