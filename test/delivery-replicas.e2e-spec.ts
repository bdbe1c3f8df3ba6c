import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { createDataSource } from '../src/database/data-source';
import { TestDatabase } from './support/app';
import { assertion, jwksOf, makeKey, TestKey } from './support/keys';
import { createStream, enqueue, NoticeSocket, poll, verifySet } from './support/notices';
import { gqlAs } from './support/process-client';
import { GatewayProcess, waitFor } from './support/processes';
import { TcpProxy } from './support/tcp-proxy';
import { makeSet, SUBJECT } from './support/sets';

const METRICS_TOKEN = 'replicas-metrics-token-0123456789';
const NOTICES = 'subscription($s: ID!) { notices(streamId: $s) { jti set } }';

/** A gauge of a process, read from its /metrics. */
async function gauge(gw: GatewayProcess, name: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

/**
 * Issue 13 item 10: two gateway processes on one database. A notice committed elsewhere (here by
 * the test's own connection, as the fan-out of another replica would) wakes a long poll and a
 * subscriber connected to process B through LISTEN/NOTIFY; B's listening connection comes back
 * after the database connection is cut, and wakes waiters again.
 */
describe('pull delivery across two gateway processes (e2e)', () => {
  let db: TestDatabase;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let ds: DataSource;
  let proxy: TcpProxy;
  let operator: TestKey;
  let bank: TestKey;

  beforeAll(async () => {
    db = await TestDatabase.create();
    operator = await makeKey('operator-replicas-1');
    bank = await makeKey('bank-a-k1');
    const env = { OPERATOR_JWKS: jwksOf(operator), METRICS_TOKEN, POLL_MAX_WAIT_MS: '55000', WS_SESSION_CHECK_MS: '1000', AUDIT_CHECKPOINT_SECONDS: '0' };
    a = await GatewayProcess.spawn({ ...env, DATABASE_URL: db.url as string, DATA_DIR: db.dataDir }).listening();
    // B reaches PostgreSQL through a proxy the test can cut.
    const target = new URL(db.url as string);
    proxy = new TcpProxy(await TcpProxy.freePort(), { host: target.hostname, port: Number(target.port || 5432) });
    await proxy.restore();
    const viaProxy = new URL(db.url as string);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    b = await GatewayProcess.spawn({ ...env, DATABASE_URL: viaProxy.toString(), DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'rx-replica-b-')) }).listening();
    const reg = await gqlAs(a.url, 'operator', operator, 'mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { id } }', { i: { id: 'bank-a', name: 'Bank A', kind: 'BANK', jwks: jwksOf(bank) } });
    expect(reg.body.data.registerPartner.id).toBe('bank-a');
    ds = await createDataSource({ databaseUrl: db.url, dataDir: db.dataDir, migrationsRun: false }).initialize();
  }, 180_000);
  afterAll(async () => {
    await ds?.destroy();
    await a?.kill('SIGKILL');
    await b?.kill('SIGKILL');
    await proxy?.cut();
    await db?.drop();
  });

  it('a notice committed outside process B reaches a long poller and a subscriber connected to B', async () => {
    const stream = await createStream(ds, 'bank-a');
    const socket = await NoticeSocket.open(b.url, await assertion(bank, 'bank-a'));
    try {
      const id = socket.subscribe(NOTICES, { s: stream.id });
      const polled = poll(b.url, stream.id, await assertion(bank, 'bank-a'), { maxEvents: 10 });
      // Both wait on B (its waiter gauge says so) before the notice commits.
      await waitFor(async () => (await gauge(b, 'rx_delivery_waiters')) === 2, 30_000, 'the poll and the subscription to wait on B');
      const [jti] = await enqueue(ds, stream, 1);
      // POLL_MAX_WAIT_MS is 55 s: only the NOTIFY can answer this poll with the notice.
      const answer = await polled;
      expect(Object.keys(answer.body.sets)).toEqual([jti]);
      await socket.until(() => socket.notices(id).length === 1, 'the subscriber on B');
      expect(socket.notices(id)[0].jti).toBe(jti);
      expect((await verifySet(b.url, answer.body.sets[jti], stream.aud)).payload.jti).toBe(jti);
      // Process A serves the same ledger: acknowledged there, gone for B too.
      expect((await poll(a.url, stream.id, await assertion(bank, 'bank-a'), { maxEvents: 0, ack: [jti] })).status).toBe(200);
      expect((await poll(b.url, stream.id, await assertion(bank, 'bank-a'), { returnImmediately: true })).body).toEqual({ sets: {}, moreAvailable: false });
    } finally {
      socket.close();
    }
  }, 90_000);

  it('a freeze published through process A reaches a long poller and a subscriber connected to B', async () => {
    const stream = await createStream(ds, 'bank-a');
    const add = await fetch(`${a.url}/ssf/subjects:add`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await assertion(bank, 'bank-a')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ stream_id: stream.id, subject: { format: 'opaque', id: SUBJECT } }),
    });
    expect(add.status).toBe(200);
    const socket = await NoticeSocket.open(b.url, await assertion(bank, 'bank-a'));
    try {
      const id = socket.subscribe(NOTICES, { s: stream.id });
      const polled = poll(b.url, stream.id, await assertion(bank, 'bank-a'), { maxEvents: 10 });
      await waitFor(async () => (await gauge(b, 'rx_delivery_waiters')) === 2, 30_000, 'the poll and the subscription to wait on B');
      const flagJti = `replica-freeze-${Date.now()}`;
      const token = await makeSet(bank, 'bank-a', 'account-flag', { action: 'freeze' }, { jti: flagJti });
      const published = await gqlAs(a.url, 'bank-a', bank, 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status } }', { t: [token] });
      expect(published.body.data.publishEvents[0].status).toBe('ACCEPTED');
      const answer = await polled;
      const [jti] = Object.keys(answer.body.sets);
      expect((await verifySet(b.url, answer.body.sets[jti], stream.aud)).payload.txn).toBe(flagJti);
      await socket.until(() => socket.notices(id).length === 1, 'the subscriber on B');
      expect(socket.notices(id)[0].jti).toBe(jti);
      expect((await poll(b.url, stream.id, await assertion(bank, 'bank-a'), { maxEvents: 0, ack: [jti] })).status).toBe(200);
    } finally {
      socket.close();
    }
  }, 90_000);

  it("B's listening connection comes back after the database connection is cut, and wakes long polls again", async () => {
    const stream = await createStream(ds, 'bank-a');
    expect(await gauge(b, 'rx_delivery_listening')).toBe(1);
    await proxy.cut();
    await waitFor(() => b.stdout.some((l) => /the LISTEN connection was lost/.test(l)), 30_000, 'B to notice the lost connection');
    await proxy.restore();
    await waitFor(() => b.stdout.some((l) => /listening for delivery notices again/.test(l)), 30_000, 'B to listen again');
    // The pool reconnects on demand: retry the first poll until the database answers through the proxy.
    const bearer = await assertion(bank, 'bank-a');
    await waitFor(async () => (await poll(b.url, stream.id, bearer, { returnImmediately: true })).status === 200, 30_000, 'B to serve polls again');
    const polled = poll(b.url, stream.id, bearer, { maxEvents: 10 });
    await waitFor(async () => (await gauge(b, 'rx_delivery_waiters')) === 1, 30_000, 'the poll to wait on B');
    const [jti] = await enqueue(ds, stream, 1);
    expect(Object.keys((await polled).body.sets)).toEqual([jti]);
  }, 120_000);
});
