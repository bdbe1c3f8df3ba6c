import * as http from 'node:http';
import { TestDatabase, withClient } from './support/app';
import { assertion, jwksOf, makeKey, TestKey } from './support/keys';
import { GatewayProcess, waitFor } from './support/processes';
import { Answer, gqlAs, isEvents503, isGraphql503, PUBLISH, pushAs } from './support/process-client';
import { signal } from './support/sets';

const METRICS_TOKEN = 'overload-metrics-token-0123';
/** The RSS bound documented in README "Failure behaviour" for the default limits. */
const RSS_BOUND_MIB = 512;

describe('load shedding (processes)', () => {
  let db: TestDatabase;
  let gw: GatewayProcess;
  let operator: TestKey;
  const keys: Record<string, TestKey> = {};

  const inflightCost = async () => {
    const text = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    return Number(/^rx_inflight_cost (\d+)/m.exec(text)?.[1] ?? NaN);
  };

  beforeAll(async () => {
    db = await TestDatabase.create();
    operator = await makeKey('operator-overload-1');
    gw = await GatewayProcess.spawn({
      ...(db.url ? { DATABASE_URL: db.url } : {}),
      DATA_DIR: db.dataDir,
      OPERATOR_JWKS: jwksOf(operator),
      METRICS_TOKEN,
      RATE_LIMIT_COST_PER_MINUTE: 'BANK=1000000000,ECOMMERCE=1000000000',
      OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '100', // the default, which test/support/processes.ts turns off for other specs
      VERIFY_WORKERS: '1', // the compiled worker (dist/), whatever the machine's core count
    }).listening();
    for (const [id, kind] of [['bank-l', 'BANK'], ['shop-l', 'ECOMMERCE']]) {
      keys[id] = await makeKey(`${id}-1`);
      const reg = await gqlAs(gw.url, 'operator', operator, 'mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { id } }', { i: { id, name: id, kind, jwks: jwksOf(keys[id]) } });
      expect(reg.status).toBe(200);
    }
  }, 180_000);
  afterAll(async () => {
    await gw?.kill('SIGKILL');
    await db?.drop();
  });

  it('over a partner\'s share answers 503 OVERLOADED with Retry-After at once on both surfaces, while other partners are served', async () => {
    // A request whose body is still arriving holds its cost (admitted before the body is read).
    const token = await signal(keys['bank-l'], 'bank-l', {}, { jti: 'held-1' });
    const json = JSON.stringify({ query: PUBLISH, variables: { t: [token] } });
    const length = 512 * 1024; // costs a partner's whole share (OVERLOAD_MAX_INFLIGHT_COST_PER_PARTNER, 512)
    const body = json + ' '.repeat(length - json.length);
    const held = http.request(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(length), authorization: `Bearer ${await assertion(keys['bank-l'], 'bank-l')}` },
    });
    const heldAnswer = new Promise<{ status: number; body: any }>((resolve, reject) =>
      held.on('response', (res) => {
        let text = '';
        res.on('data', (c) => (text += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      }).on('error', reject),
    );
    held.write(body.slice(0, 100));
    await waitFor(async () => (await inflightCost()) >= 512, 10_000, 'the held request to be admitted');

    const started = Date.now();
    const graphql = await gqlAs(gw.url, 'bank-l', keys['bank-l'], PUBLISH, { t: [await signal(keys['bank-l'], 'bank-l', {}, { jti: 'shed-1' })] });
    expect(isGraphql503(graphql, 'OVERLOADED')).toBe(true);
    expect(graphql.body.errors[0].message).toMatch(/overloaded \(this partner already has 512 of its 512 units of work in flight\); nothing was done\. Retry after 1 s/);
    const pushed = await pushAs(gw.url, 'bank-l', keys['bank-l'], await signal(keys['bank-l'], 'bank-l', {}, { jti: 'shed-2' }));
    expect(isEvents503(pushed)).toBe(true);
    expect(pushed.body.description).toMatch(/overloaded/);
    expect(Date.now() - started).toBeLessThan(10_000); // refused, not queued behind the held request

    // Another partner is still served.
    const shop = await gqlAs(gw.url, 'shop-l', keys['shop-l'], PUBLISH, { t: [await signal(keys['shop-l'], 'shop-l', {}, { jti: 'shop-1' })] });
    expect(shop.body.data.publishEvents[0].status).toBe('ACCEPTED');

    // The held request completes normally, and then the bank is admitted again.
    held.end(body.slice(100));
    const done = await heldAnswer;
    expect(done.body.data.publishEvents[0]).toMatchObject({ jti: 'held-1', status: 'ACCEPTED' });
    await waitFor(async () => (await inflightCost()) === 0, 10_000, 'the cost to be returned');
    const again = await gqlAs(gw.url, 'bank-l', keys['bank-l'], PUBLISH, { t: [await signal(keys['bank-l'], 'bank-l', {}, { jti: 'shed-1' })] });
    expect(again.body.data.publishEvents[0]).toMatchObject({ jti: 'shed-1', status: 'ACCEPTED' }); // the shed one was never stored
  }, 60_000);

  it('under a flood of publishers sheds with 503, keeps /health answering and memory bounded, and stores every token once', async () => {
    const batches: Array<{ partner: string; tokens: string[] }> = [];
    for (const partner of ['bank-l', 'shop-l']) {
      for (let b = 0; b < 6; b++) {
        batches.push({ partner, tokens: await Promise.all(Array.from({ length: 200 }, (_, i) => signal(keys[partner], partner, {}, { jti: `f-${b}-${i}` }))) });
      }
    }
    const answers: Answer[] = [];
    const health: number[] = [];
    const metrics: number[] = [];
    const probeProblems: string[] = [];
    let maxRss = 0;
    const until = Date.now() + 8000;
    const publisher = async (n: number) => {
      for (let i = n; Date.now() < until; i += 7) {
        const { partner, tokens } = batches[i % batches.length];
        answers.push(await gqlAs(gw.url, partner, keys[partner], PUBLISH, { t: tokens }));
      }
    };
    // /health and /metrics are never shed: every probe gets an answer, /health 200 or its documented
    // 503 (database away), /metrics 200 with the shedding metrics. Their speed is measured in bench/.
    const probeHealth = async () => {
      const t0 = Date.now();
      const res = await fetch(`${gw.url}/health`, { signal: AbortSignal.timeout(10_000) });
      const body = (await res.json()) as Record<string, unknown>;
      const documented503 = res.status === 503 && Number(res.headers.get('retry-after')) >= 1 && body.status === 'unavailable' && typeof body.reason === 'string';
      if (res.status === 200 ? body.status !== 'ok' : !documented503) probeProblems.push(`/health ${res.status} ${JSON.stringify(body)}`);
      health.push(Date.now() - t0);
    };
    const probeMetrics = async () => {
      const t0 = Date.now();
      const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` }, signal: AbortSignal.timeout(10_000) });
      const text = await res.text();
      if (res.status !== 200 || !/^rx_inflight_cost \d+/m.test(text) || !/^rx_event_loop_lag_seconds [\d.e-]+/m.test(text)) probeProblems.push(`/metrics ${res.status} ${text.slice(0, 200)}`);
      metrics.push(Date.now() - t0);
    };
    const watcher = async () => {
      while (Date.now() < until) {
        await Promise.all([probeHealth(), probeMetrics()]);
        maxRss = Math.max(maxRss, gw.rssMiB());
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await Promise.all([...Array.from({ length: 40 }, (_, n) => publisher(n)), watcher()]);

    // Every answer is a full success or the documented 503; never anything else.
    const shed = answers.filter((a) => a.status === 503);
    const served = answers.filter((a) => a.status === 200);
    expect(shed.length + served.length).toBe(answers.length);
    expect(shed.every((a) => isGraphql503(a, 'OVERLOADED'))).toBe(true);
    for (const a of served) {
      expect(a.body.data.publishEvents).toHaveLength(200);
      expect(a.body.data.publishEvents.every((r: { status: string }) => r.status === 'ACCEPTED' || r.status === 'DUPLICATE')).toBe(true);
    }
    expect(shed.length).toBeGreaterThan(0);
    expect(served.length).toBeGreaterThan(0);
    expect(health.length).toBeGreaterThan(3); // probes ran throughout the flood (each waits for its answer, so a slow machine makes fewer)
    expect(metrics.length).toBe(health.length);
    expect(probeProblems).toEqual([]);
    expect(maxRss).toBeLessThan(RSS_BOUND_MIB);
    const figures = (xs: number[]) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return `p50 ${sorted[sorted.length >> 1]} ms, p99 ${sorted[Math.floor(sorted.length * 0.99)]} ms, max ${sorted[sorted.length - 1]} ms`;
    };
    process.stdout.write(`flood: ${served.length} served, ${shed.length} shed; /health ${figures(health)}; /metrics ${figures(metrics)} (${health.length} probes each, timed in the test runner); max RSS ${Math.round(maxRss)} MiB\n`);

    // Afterwards, with the load gone: a client that resends what was shed gets everything in, and
    // every token is stored exactly once (a further resend answers DUPLICATE for each).
    for (const { partner, tokens } of batches) {
      let a = await gqlAs(gw.url, partner, keys[partner], PUBLISH, { t: tokens });
      while (a.status === 503) {
        await new Promise((r) => setTimeout(r, Number(a.retryAfter) * 1000));
        a = await gqlAs(gw.url, partner, keys[partner], PUBLISH, { t: tokens });
      }
      expect(a.status).toBe(200);
      const again = await gqlAs(gw.url, partner, keys[partner], PUBLISH, { t: tokens });
      expect(again.body.data.publishEvents.map((r: { status: string }) => r.status)).toEqual(tokens.map(() => 'DUPLICATE'));
    }
    if (db.url) {
      const { rows } = await withClient(db.url, (c) => c.query(`SELECT issuer, count(*)::int AS n, count(DISTINCT jti)::int AS d FROM event WHERE jti LIKE 'f-%' GROUP BY issuer ORDER BY issuer`));
      expect(rows).toEqual([{ issuer: 'bank-l', n: 1200, d: 1200 }, { issuer: 'shop-l', n: 1200, d: 1200 }]);
    }
  }, 120_000);
});
