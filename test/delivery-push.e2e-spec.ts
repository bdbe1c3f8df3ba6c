import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { DataSource } from 'typeorm';
import { Delivery, DeliveryState } from '../src/delivery/delivery.entity';
import { enqueueNotices } from '../src/delivery/outbox';
import { OutboundRefused } from '../src/delivery/push/address-policy';
import { Outbound } from '../src/delivery/push/outbound';
import { SsfStream } from '../src/delivery/stream.entity';
import { MetricsService } from '../src/observability/metrics';
import { codeOf, TestDatabase, TestGateway } from './support/app';
import { assertion, TestKey } from './support/keys';
import { waitFor } from './support/processes';
import { insertPushStream, TIER, tierNotice } from './support/push-streams';
import { answer, TestReceiver } from './support/receiver';

const STREAM_UPDATED = 'https://schemas.openid.net/secevent/ssf/event-type/stream-updated';

/**
 * RFC 8935 push over real HTTP against PostgreSQL: retries with the same SET, dead letters, the
 * pause after a run of failures, replay, the outbound rules, timeouts and capped answers.
 * Streams are rows inserted here and notices come from enqueueNotices (the stream API and the
 * fan-out are other branches' work).
 */
const PUSH_ENV = {
  ALLOW_INSECURE_PUSH: 'true',
  PUSH_BASE_DELAY_MS: '20',
  PUSH_MAX_DELAY_MS: '200',
  PUSH_MAX_ATTEMPTS: '5',
  PUSH_PAUSE_AFTER_FAILURES: '6',
  PUSH_SCAN_INTERVAL_MS: '50',
  PUSH_TIMEOUT_MS: '1000',
  PUSH_LEASE_MS: '2000',
  PUSH_STREAM_CONCURRENCY: '4',
  AUDIT_CHECKPOINT_SECONDS: '0',
};

describe('RFC 8935 push delivery (e2e, PostgreSQL, real receivers)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let ds: DataSource;
  let bankKey: TestKey;
  let shopKey: TestKey;
  const receivers: TestReceiver[] = [];
  const receiver = async (h: Parameters<typeof TestReceiver.start>[0], host?: string) => {
    const r = await TestReceiver.start(h, host);
    receivers.push(r);
    return r;
  };
  const enqueue = async (stream: SsfStream, subject?: string) => (await ds.transaction((tx) => enqueueNotices(tx, [tierNotice(stream, subject)])))[0];
  const row = (id: string) => ds.getRepository(Delivery).findOneByOrFail({ id });
  const stream = (id: string) => ds.getRepository(SsfStream).findOneByOrFail({ id });
  const until = <T>(what: string, probe: () => Promise<T | null | undefined | false>) => waitFor(probe, 30_000, what);

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, PUSH_ENV);
    ds = gw.app.get(DataSource);
    bankKey = await gw.registerPartner('bank-a', 'BANK');
    shopKey = await gw.registerPartner('shop-b', 'ECOMMERCE');
  });
  afterAll(async () => {
    await gw?.close();
    for (const r of receivers) await r.close();
    await db?.drop();
  });

  it('retries a receiver that fails 3 times, then delivers the same SET, signed by the gateway, with the authorization header verbatim', async () => {
    const failures = [answer(500, 'boom'), answer(503, '', { 'retry-after': '0' }), answer(429, '', { 'retry-after': '0' })];
    const r = await receiver((req, res, n) => (n <= 3 ? failures[n - 1](req, res) : answer(202)(req, res)));
    const auth = 'Bearer  rx.Test-token_0123/+= (verbatim)';
    const s = await insertPushStream(ds, 'bank-a', r.url(), auth);
    const before = await pushCount(gw);
    const jti = await enqueue(s);

    const acked = await until('the delivery to be acknowledged', async () => ((await row(jti)).state === DeliveryState.ACKED ? row(jti) : null));
    expect(r.received).toHaveLength(4);
    expect(r.jtis()).toEqual([jti, jti, jti, jti]);
    expect(new Set(r.received.map((x) => x.body)).size).toBe(1); // the same token every time (same iat, same signature)
    for (const got of r.received) {
      expect(got.headers['content-type']).toBe('application/secevent+jwt');
      expect(got.headers.accept).toBe('application/json');
      expect(got.headers.authorization).toBe(auth);
    }
    const { payload, protectedHeader } = await jwtVerify(r.received[3].body, createRemoteJWKSet(new URL(`${gw.url}/.well-known/jwks.json`)), { issuer: gw.config.issuer, audience: s.aud, typ: 'secevent+jwt' });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload).toMatchObject({ jti, sub_id: { format: 'opaque', id: 'subj-push-1' }, events: { [TIER]: { tier: 'warn' } } });
    expect(acked).toMatchObject({ state: 'ACKED', attempts: 4, lastError: null, nextAttemptAt: null });
    expect(acked.ackedAt).toBeInstanceOf(Date);
    expect(await pushCount(gw)).toBe(before + 1); // rx_delivery_latency_seconds{method="push"} observed once
    expect((await stream(s.id)).consecutiveFailures).toBe(0);
  });

  it('dead-letters after PUSH_MAX_ATTEMPTS, pauses the stream after a run of failures, and replays to a receiver that works again', async () => {
    let healthy = false;
    const r = await receiver((req, res) => (healthy ? answer(202)(req, res) : answer(500, 'down')(req, res)));
    const s = await insertPushStream(ds, 'bank-a', r.url());
    const first = await enqueue(s, 'subj-dead-1');
    const dead = await until('the first notice to be dead-lettered', async () => ((await row(first)).state === DeliveryState.DEAD ? row(first) : null));
    expect(dead).toMatchObject({ attempts: 5, lastError: 'HTTP 500: down (gave up after 5 attempts)', nextAttemptAt: null });
    expect(r.jtis()).toEqual([first, first, first, first, first]);
    expect((await stream(s.id)).status).toBe('enabled'); // 5 failures: one short of PUSH_PAUSE_AFTER_FAILURES

    // The sixth failure in a row pauses the stream, with the reason; its pending notice is held.
    const second = await enqueue(s, 'subj-dead-2');
    const paused = await until('the stream to be paused', async () => ((await stream(s.id)).status === 'paused' ? stream(s.id) : null));
    expect(paused.statusReason).toBe(`paused by the gateway: 6 push attempts to http://127.0.0.1:${r.port} failed in a row; last: HTTP 500: down`);
    expect((await row(second)).state).toBe(DeliveryState.HELD);
    // The gateway tells the receiver of the pause (stream-updated, pushed although paused); the
    // receiver still fails, so that notice is dead-lettered too, after its own 5 attempts.
    const [{ id: update }] = await ds.query(`SELECT id FROM delivery WHERE stream_id = $1 AND event_type = $2`, [s.id, STREAM_UPDATED]);
    await until('the stream-updated notice to be dead-lettered', async () => (await row(update)).state === DeliveryState.DEAD);

    const list = 'query($s: ID!) { deadLetters(streamId: $s, first: 10) { totalCount edges { node { jti streamId eventType attempts lastError set } } pageInfo { hasNextPage } } }';
    const mine = await gw.as('bank-a', bankKey, list, { s: s.id });
    expect(mine.errors).toBeUndefined();
    expect(mine.data!.deadLetters).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: false } });
    expect(mine.data!.deadLetters.edges.map((e: any) => e.node.jti).sort()).toEqual([first, update].sort());
    expect(mine.data!.deadLetters.edges.find((e: any) => e.node.jti === first).node).toEqual({
      jti: first, streamId: s.id, eventType: TIER, attempts: 5, lastError: 'HTTP 500: down (gave up after 5 attempts)', set: r.received[0].body,
    });

    // Another partner's stream reads exactly like a missing one, for the list and the replay.
    const replay = 'mutation($s: ID!, $ids: [ID!]) { replayDeadLetters(streamId: $s, ids: $ids) { replayed jtis held } }';
    const theirs = await gw.as('shop-b', shopKey, list, { s: s.id });
    const missingId = randomUUID();
    const missing = await gw.as('shop-b', shopKey, list, { s: missingId });
    expect([codeOf(theirs), codeOf(missing)]).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    expect(theirs.errors![0].message).toBe(missing.errors![0].message.replace(missingId, s.id));
    const theirReplay = await gw.as('shop-b', shopKey, replay, { s: s.id });
    expect(codeOf(theirReplay)).toBe('NOT_FOUND');
    expect((await row(first)).state).toBe(DeliveryState.DEAD);
    const badIds = await gw.as('bank-a', bankKey, replay, { s: s.id, ids: ['not-a-jti'] });
    expect([codeOf(badIds), badIds.errors![0].message]).toEqual(['BAD_USER_INPUT', 'ids must be SET jtis (lowercase UUIDs), got "not-a-jti"']);

    // The receiver works again; the owner replays (held: the stream is paused), then enables the
    // stream (as POST /ssf/status does: HELD back to PENDING) and both notices are delivered.
    healthy = true;
    const replayed = await gw.as('bank-a', bankKey, replay, { s: s.id });
    expect(replayed.errors).toBeUndefined();
    expect(replayed.data!.replayDeadLetters).toMatchObject({ replayed: 2, held: true });
    expect([...replayed.data!.replayDeadLetters.jtis].sort()).toEqual([first, update].sort());
    expect(await row(first)).toMatchObject({ state: 'HELD', attempts: 0, lastError: null });
    const enabled = await fetch(`${gw.url}/ssf/status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await assertion(bankKey, 'bank-a')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ stream_id: s.id, status: 'enabled' }),
    });
    expect(enabled.status).toBe(200);
    await until('the three notices to be delivered', async () => (await row(first)).state === 'ACKED' && (await row(second)).state === 'ACKED' && (await row(update)).state === 'ACKED');
    // The receiver was told of the pause by an SSF stream-updated event, pushed although paused.
    const updates = r.received.map((x) => JSON.parse(Buffer.from(x.body.split('.')[1], 'base64url').toString()).events).filter((e) => e[STREAM_UPDATED]);
    expect(updates[0][STREAM_UPDATED]).toMatchObject({ status: 'paused', reason: paused.statusReason });
    expect(await row(first)).toMatchObject({ attempts: 1, lastError: null });
    expect(r.received.filter((x) => x.jti === first).map((x) => x.body)).toEqual(Array(6).fill(r.received[0].body)); // 5 failed + the replay: one SET
    const [audit] = await ds.query(`SELECT actor, details FROM audit_log WHERE action = 'delivery.dead-letters.replay' AND target = $1 ORDER BY seq DESC LIMIT 1`, [s.id]);
    expect(audit).toMatchObject({ actor: 'bank-a', details: { replayed: 2, held: true } });
    const after = await gw.as('bank-a', bankKey, list, { s: s.id });
    expect(after.data!.deadLetters.totalCount).toBe(0);
  });

  it('refuses private, link-local and non-https receivers with the reason recorded, and never follows a redirect', async () => {
    const cases: Array<[string, string]> = [
      ['https://10.0.0.1/events', 'refused to push to 10.0.0.1: 10.0.0.1 is a private address'],
      ['https://169.254.169.254/latest/meta-data', 'refused to push to 169.254.169.254: 169.254.169.254 is a link-local address'],
      ['https://[fd00::1]/events', 'refused to push to fd00::1: fd00::1 is a unique-local address'],
      ['http://10.0.0.1/events', 'plain http is allowed only to a loopback host, not 10.0.0.1'],
    ];
    const ids: string[] = [];
    for (const [url] of cases) ids.push(await enqueue(await insertPushStream(ds, 'bank-a', url)));
    for (const [i, [, reason]] of cases.entries()) {
      const got = await until(`the refusal of ${cases[i][0]}`, async () => (await row(ids[i])).lastError);
      expect(got.startsWith(reason)).toBe(true);
    }

    // A redirect is a failure named as such; its target is never asked.
    const target = await receiver(answer(202));
    const redirecting = await receiver(answer(302, '', { location: target.url() }));
    const s = await insertPushStream(ds, 'bank-a', redirecting.url());
    const jti = await enqueue(s);
    const error = await until('the redirect to be refused', async () => (await row(jti)).lastError);
    expect(error).toMatch(/^redirect refused: HTTP 302 \(the gateway does not follow redirects; set endpoint_url to the final URL\)/);
    expect(target.received).toHaveLength(0);
    // With the final URL as endpoint, the next notice is delivered.
    await ds.getRepository(SsfStream).update({ id: s.id }, { endpointUrl: target.url() });
    const next = await enqueue(s);
    await until('the notice to reach the final URL', async () => (await row(next)).state === 'ACKED');
    expect(target.jtis()).toContain(next);
  });

  it('refuses loopback receivers without ALLOW_INSECURE_PUSH ([::1], localhost, plain http), and reaches them with it', async () => {
    const onV6 = await receiver(answer(202), '::1');
    const strict = new Outbound({ allowInsecure: false, allowedPrivateCidrs: [] }, 1000);
    const dev = new Outbound({ allowInsecure: true, allowedPrivateCidrs: [] }, 1000);
    try {
      const refusal = (url: string) => strict.postSet(url, 'x.y.z', null).then(() => 'sent', (e: Error) => (e instanceof OutboundRefused ? e.message : `other: ${e.message}`));
      expect(await refusal(`https://[::1]:${onV6.port}/events`)).toBe('refused to push to ::1: ::1 is a loopback address');
      expect(await refusal(`https://localhost:${onV6.port}/events`)).toBe('refused to push to localhost: a loopback host');
      expect(await refusal(`http://[::1]:${onV6.port}/events`)).toBe('endpoint_url must be https (plain http only to loopback with ALLOW_INSECURE_PUSH=true)');
      expect(await refusal(`https://127.0.0.2:${onV6.port}/events`)).toBe('refused to push to 127.0.0.2: 127.0.0.2 is a loopback address');
      expect(onV6.received).toHaveLength(0);
      expect(await dev.postSet(onV6.url('::1'), 'x.y.z', 'Bearer t')).toEqual({ status: 202, retryAfter: null, body: '' });
      expect(onV6.received.map((x) => x.headers.authorization)).toEqual(['Bearer t']);
    } finally {
      await strict.close();
      await dev.close();
    }
  });

  it('connects to the address its own lookup checked: a name resolving to a private address is refused, one resolving to the receiver is reached', async () => {
    const onV6 = await receiver(answer(202), '::1'); // listens on ::1 only
    const answers: Record<string, string> = { 'rebound.localhost': '10.0.0.1', 'pinned.localhost': '::1' };
    const resolve = (host: string, _o: unknown, cb: (e: NodeJS.ErrnoException | null, a: Array<{ address: string; family: number }>) => void) =>
      cb(null, answers[host] ? [{ address: answers[host], family: answers[host].includes(':') ? 6 : 4 }] : []);
    const out = new Outbound({ allowInsecure: true, allowedPrivateCidrs: [] }, 1000, 4, resolve as never);
    try {
      const refused = await out.postSet(`http://rebound.localhost:${onV6.port}/events`, 'x.y.z', null).then(() => 'sent', (e: Error) => e.message);
      expect(refused).toBe('refused to push to rebound.localhost: it resolves to 10.0.0.1 is a private address');
      expect(onV6.received).toHaveLength(0);
      // Only the checked answer (::1) reaches the receiver: the system resolver knows no such name (or would say 127.0.0.1, where nothing listens).
      expect((await out.postSet(`http://pinned.localhost:${onV6.port}/events`, 'x.y.z', null)).status).toBe(202);
      expect(onV6.received).toHaveLength(1);
    } finally {
      await out.close();
    }
  });

  it('gives one stream at most PUSH_STREAM_CONCURRENCY sends at a time, so a slow receiver does not hold up the others', async () => {
    let open = 0;
    let most = 0;
    const slow = await receiver((req, res) => {
      most = Math.max(most, ++open);
      res.on('close', () => open--);
      setTimeout(() => answer(202)(req, res), 400); // slow, within PUSH_TIMEOUT_MS
    });
    const fast = await receiver(answer(202));
    const [s, f] = [await insertPushStream(ds, 'bank-a', slow.url()), await insertPushStream(ds, 'shop-b', fast.url())];
    const slowJtis = await ds.transaction((tx) => enqueueNotices(tx, Array.from({ length: 16 }, (_, i) => tierNotice(s, `subj-slow-${i}`))));
    await until('the slow receiver to get its first requests', async () => slow.received.length > 0);
    const fastJtis = await ds.transaction((tx) => enqueueNotices(tx, [tierNotice(f, 'subj-fast-1'), tierNotice(f, 'subj-fast-2')]));
    await until('the other stream to be delivered', async () => (await Promise.all(fastJtis.map(row))).every((d) => d.state === 'ACKED'));
    await until('the slow stream to be delivered', async () => (await Promise.all(slowJtis.map(row))).every((d) => d.state === 'ACKED'));
    expect(most).toBe(4); // the cap was reached, never passed
    expect(slow.jtis().sort()).toEqual([...slowJtis].sort());
  });

  it('times out a slow receiver, and delivers once it answers', async () => {
    let slow = true;
    const r = await receiver((req, res) => (slow ? undefined : answer(202)(req, res))); // slow: never answers
    const s = await insertPushStream(ds, 'bank-a', r.url());
    const jti = await enqueue(s);
    const error = await until('the timeout to be recorded', async () => (await row(jti)).lastError);
    expect(error).toBe('timed out after 1000 ms (push to 127.0.0.1)');
    slow = false;
    const done = await until('the delivery', async () => ((await row(jti)).state === 'ACKED' ? row(jti) : null));
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    expect(new Set(r.jtis())).toEqual(new Set([jti]));
  });

  it('reads at most 64 KiB of an answer: a 64 MiB error body is cut off, and the delivery goes through later', async () => {
    const HUGE = 64 * 1024 * 1024;
    let huge = true;
    const written: number[] = [];
    const r = await receiver((req, res) => {
      if (!huge) return answer(202)(req, res);
      res.writeHead(500, { 'content-type': 'text/plain', 'content-length': String(HUGE) });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      const pump = () => {
        while (sent < HUGE && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => written.push(sent));
      pump();
    });
    const s = await insertPushStream(ds, 'bank-a', r.url());
    const jti = await enqueue(s);
    const error = await until('the failure to be recorded', async () => (await row(jti)).lastError);
    expect(error).toBe(`HTTP 500: ${'x'.repeat(200)}`);
    await until('the receiver to see its connection closed', async () => written.length > 0);
    expect(written[0]).toBeLessThan(HUGE); // the gateway hung up instead of reading 64 MiB
    huge = false;
    await until('the delivery', async () => (await row(jti)).state === 'ACKED');
  });
});

/** Push observations of rx_delivery_latency_seconds in this gateway. */
async function pushCount(gw: TestGateway): Promise<number> {
  const metric = await gw.app.get(MetricsService).deliveryLatency.get();
  return metric.values.find((v) => v.metricName === 'rx_delivery_latency_seconds_count' && v.labels.method === 'push')?.value ?? 0;
}
