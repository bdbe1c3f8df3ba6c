import { Controller, Get, Module, Query } from '@nestjs/common';
import { execFile } from 'node:child_process';
import * as net from 'node:net';
import { Public } from '../src/auth/decorators';
import { managementOf } from '../src/observability/management';
import { TestDatabase, TestGateway, usingPostgres } from './support/app';
import { waitFor } from './support/processes';
import { TcpProxy } from './support/tcp-proxy';

const TOKEN = 'management-e2e-metrics-token';

/** Test only: holds the gateway's main event loop for `ms` (a long synchronous turn, as under load but certain). */
@Controller('test/management')
class BlockController {
  @Public()
  @Get('block')
  block(@Query('ms') ms: string) {
    const startedAt = Date.now();
    while (Date.now() - startedAt < Number(ms)) {
      // busy: nothing else runs on this loop meanwhile
    }
    return { startedAt, endedAt: Date.now() };
  }
}

@Module({ controllers: [BlockController] })
class BlockModule {}

interface Timed {
  code: number;
  ms: number;
  /** ms since the epoch when curl started. */
  startedAt: number;
  body: string;
}

/**
 * One GET by curl after `delayS` seconds, in a process of its own: the test runner's event loop is
 * the gateway's (in-process), so while it is blocked only another process can ask and time.
 */
function curlLater(delayS: number, url: string, headers: string[] = []): Promise<Timed> {
  const script = `sleep ${delayS}; s=$(date +%s%3N); curl -s -m 15 -w '\\n%{http_code} %{time_total}' "$@"; echo " $s"`;
  return new Promise((resolve, reject) =>
    execFile('sh', ['-c', script, 'sh', ...headers.flatMap((h) => ['-H', h]), url], (e, stdout) => {
      if (e) return reject(e);
      const text = String(stdout).trimEnd();
      const cut = text.lastIndexOf('\n');
      const [code, seconds, started] = text.slice(cut + 1).split(' ');
      resolve({ code: Number(code), ms: Math.round(Number(seconds) * 1000), startedAt: Number(started), body: text.slice(0, cut) });
    }),
  );
}

/** Blocks the gateway's loop for `ms` while curl asks the given URLs `delayS` seconds in. */
async function duringBlock(gw: TestGateway, ms: number, delayS: number, probes: Array<[string, string[]?]>) {
  const asked = probes.map(([url, headers]) => curlLater(delayS, url, headers));
  const res = await fetch(`${gw.url}/test/management/block?ms=${ms}`);
  const block = (await res.json()) as { startedAt: number; endedAt: number };
  const answers = await Promise.all(asked);
  for (const a of answers) {
    // Asked while the loop was blocked, or the test proves nothing (a machine too busy to start curl in time).
    expect(a.startedAt).toBeGreaterThanOrEqual(block.startedAt);
    expect(a.startedAt).toBeLessThan(block.endedAt - 100);
  }
  return { block, answers };
}

(usingPostgres() ? describe : describe.skip)('management port: /health and /metrics from a thread of their own (PostgreSQL)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let gw: TestGateway;
  let mgmt: string;

  beforeAll(async () => {
    db = await TestDatabase.create();
    const target = new URL(db.url as string);
    proxy = new TcpProxy(await TcpProxy.freePort(), { host: target.hostname, port: Number(target.port || 5432) });
    await proxy.restore();
    const url = new URL(db.url as string);
    url.host = `127.0.0.1:${proxy.port}`;
    const port = await TcpProxy.freePort();
    gw = await TestGateway.start(db, { DATABASE_URL: url.toString(), MANAGEMENT_PORT: String(port), METRICS_TOKEN: TOKEN }, undefined, [BlockModule]);
    expect(await managementOf(gw.app)?.whenListening()).toBe(port);
    mgmt = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await gw?.close();
    await proxy?.cut();
    await db?.drop();
  });

  it('answers /health 200 in the main port shape, /metrics only with METRICS_TOKEN, and nothing else', async () => {
    const health = await fetch(`${mgmt}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('cache-control')).toBe('no-store');
    expect(await health.json()).toEqual({ status: 'ok', database: 'postgres' });
    expect(await (await fetch(`${gw.url}/health`)).json()).toEqual({ status: 'ok', database: 'postgres' });

    const anonymous = await fetch(`${mgmt}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="risk-exchange"');
    expect(await anonymous.text()).not.toContain('rx_');
    const wrong = await fetch(`${mgmt}/metrics`, { headers: { authorization: `Bearer ${TOKEN}-not` } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain('rx_');
    expect((await fetch(`${mgmt}/graphql`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${mgmt}/health`, { method: 'POST' })).status).toBe(405);

    // A request on the main port shows up in the management /metrics within a scrape interval (1 s).
    expect((await fetch(`${gw.url}/.well-known/jwks.json`)).status).toBe(200);
    const text = await waitFor(async () => {
      const res = await fetch(`${mgmt}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const body = await res.text();
      return body.includes('rx_requests_total{method="GET",route="/.well-known/jwks.json"') && body;
    }, 10_000, 'the management /metrics to show the jwks request');
    expect(text).toMatch(/^rx_event_loop_lag_seconds /m);
    expect(Number(/^rx_management_snapshot_age_seconds ([\d.]+)$/m.exec(text)?.[1])).toBeLessThan(5);
    expect(Number(/^rx_management_heartbeat_age_seconds ([\d.]+)$/m.exec(text)?.[1])).toBeLessThan(5);
  });

  it('answers while the main event loop is blocked, and the main port does not', async () => {
    const { block, answers } = await duringBlock(gw, 3000, 0.8, [[`${mgmt}/health`], [`${mgmt}/metrics`, [`authorization: Bearer ${TOKEN}`]], [`${gw.url}/health`]]);
    const [health, metrics, mainHealth] = answers;
    expect(health.code).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok', database: 'postgres' });
    expect(health.ms).toBeLessThan(500);
    expect(metrics.code).toBe(200);
    expect(metrics.ms).toBeLessThan(500);
    expect(metrics.body).toContain('rx_requests_total');
    // The worker saw the heartbeat go stale: it was not answered by the main loop.
    expect(Number(/^rx_management_heartbeat_age_seconds ([\d.]+)$/m.exec(metrics.body)?.[1])).toBeGreaterThan(0.3);
    // The main port's /health waited for the blocked turn to end.
    expect(mainHealth.code).toBe(200);
    expect(mainHealth.startedAt + mainHealth.ms).toBeGreaterThanOrEqual(block.endedAt - 50);
    expect(mainHealth.ms).toBeGreaterThan(500);
  });

  it('answers 503 naming the heartbeat when the main loop stays blocked longer than MANAGEMENT_HEARTBEAT_TIMEOUT_MS, and 200 once it runs', async () => {
    const port = await TcpProxy.freePort();
    const strict = await TestGateway.start(db, { MANAGEMENT_PORT: String(port), MANAGEMENT_HEARTBEAT_TIMEOUT_MS: '1000' }, undefined, [BlockModule]);
    try {
      await managementOf(strict.app)?.whenListening();
      const { answers } = await duringBlock(strict, 3000, 2, [[`http://127.0.0.1:${port}/health`]]);
      expect(answers[0].code).toBe(503);
      expect(answers[0].ms).toBeLessThan(500);
      const body = JSON.parse(answers[0].body);
      expect(body).toEqual({ status: 'unavailable', database: 'postgres', reason: expect.stringMatching(/^the gateway's main event loop has not run for \d+ ms \(over MANAGEMENT_HEARTBEAT_TIMEOUT_MS, 1000 ms\)$/) });
      const after = await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`)).status === 200, 5000, 'the heartbeat to be fresh again');
      expect(after).toBe(true);
    } finally {
      await strict.close();
    }
    // Closed with its gateway: nothing listens on the port any more.
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it('starts the worker again when it dies, on the same port', async () => {
    const server = managementOf(gw.app)!;
    const starts = server.starts;
    await server.kill();
    await waitFor(() => server.starts === starts + 1 && server.port !== undefined, 10_000, 'the management worker to be restarted');
    const res = await fetch(`${mgmt}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', database: 'postgres' });
    // The new worker was handed the last snapshot: /metrics answers at once.
    expect((await fetch(`${mgmt}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('a management port in use does not stop the gateway: the worker is retried with backoff until the port is free', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const other = await TestGateway.start(db, { MANAGEMENT_PORT: String(port) });
    try {
      const server = managementOf(other.app)!;
      await waitFor(() => server.starts >= 2, 10_000, 'a second attempt at the port');
      expect(server.port).toBeUndefined();
      expect((await fetch(`${other.url}/health`)).status).toBe(200);
      await new Promise((r) => blocker.close(r));
      expect(await server.whenListening()).toBe(port);
      expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toEqual({ status: 'ok', database: 'postgres' });
    } finally {
      blocker.close();
      await other.close();
    }
  });

  it('answers /health 503 in the documented shape while the database is away, and 200 once it is back', async () => {
    await proxy.cut();
    try {
      const down = await waitFor(async () => {
        const res = await fetch(`${mgmt}/health`);
        return res.status === 503 && { res, body: await res.json() };
      }, 15_000, 'the management /health to see the outage');
      expect(down.res.headers.get('retry-after')).toBe('5');
      expect(down.body).toEqual({ status: 'unavailable', database: 'postgres', reason: expect.stringMatching(/^database did not answer/) });
      expect(JSON.stringify(down.body)).not.toContain(String(proxy.port)); // the driver's message (the database's address) stays in the log
      // Metrics still go out (the registry's own text while the delivery gauges cannot be read).
      expect((await fetch(`${mgmt}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    } finally {
      await proxy.restore();
    }
    await waitFor(async () => (await fetch(`${mgmt}/health`)).status === 200, 20_000, 'the management /health to see the database back');
    expect(await (await fetch(`${mgmt}/health`)).json()).toEqual({ status: 'ok', database: 'postgres' });
  });
});
