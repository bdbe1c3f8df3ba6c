import { healthAnswer, managementAnswer, metricsAnswer, restartDelayMs, unhealthyReason, type ManagementState } from './management-http';

const TOKEN = 'management-token-0123456789';
const state = (over: Partial<ManagementState> = {}): ManagementState => ({
  database: 'postgres',
  databaseAvailable: true,
  probeFailure: undefined,
  heartbeatAgeMs: 40,
  heartbeatTimeoutMs: 5000,
  snapshot: '# HELP rx_requests_total Requests.\nrx_requests_total 3\n',
  snapshotAgeMs: 250,
  metricsToken: TOKEN,
  retryAfterSeconds: 5,
  ...over,
});

describe('management port: /health', () => {
  it('answers 503 with the main port shape and Retry-After when the main thread says the database is down', () => {
    const a = healthAnswer(state({ databaseAvailable: false }));
    expect(a.status).toBe(503);
    expect(a.headers['retry-after']).toBe('5');
    expect(JSON.parse(a.body)).toEqual({ status: 'unavailable', database: 'postgres', reason: 'database did not answer' });
  });

  it('answers 503 when its own probe fails, even while the main thread has not noticed yet', () => {
    expect(JSON.parse(healthAnswer(state({ probeFailure: 'no answer within 2000 ms' })).body).reason).toBe("database did not answer the management port's own probe");
  });

  it('answers 503 naming the heartbeat once the main loop has not run for longer than the bound, and not at the bound', () => {
    const stale = healthAnswer(state({ heartbeatAgeMs: 5001, databaseAvailable: false }));
    expect(stale.status).toBe(503);
    expect(JSON.parse(stale.body).reason).toMatch(/main event loop has not run for 5001 ms \(over MANAGEMENT_HEARTBEAT_TIMEOUT_MS, 5000 ms\)/);
    expect(unhealthyReason(state({ heartbeatAgeMs: 5000 }))).toBeUndefined();
  });

  it('answers 200 {status: ok, database} when all is well', () => {
    const a = healthAnswer(state({ database: 'pglite' }));
    expect(a.status).toBe(200);
    expect(a.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(a.body)).toEqual({ status: 'ok', database: 'pglite' });
  });
});

describe('management port: /metrics', () => {
  it('refuses without the token (401 with a Bearer challenge), with a wrong one, and serves nothing at all when no METRICS_TOKEN is set', () => {
    const none = metricsAnswer(state(), undefined);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="risk-exchange"');
    expect(none.body).not.toContain('rx_requests_total');
    const wrong = metricsAnswer(state(), `Bearer ${TOKEN}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(metricsAnswer(state(), `Basic ${TOKEN}`).status).toBe(401);
    const unset = metricsAnswer(state({ metricsToken: undefined }), `Bearer ${TOKEN}`);
    expect(unset.status).toBe(403);
    expect(unset.body).toContain('METRICS_TOKEN');
    expect(unset.body).not.toContain('rx_requests_total');
  });

  it('answers 503 before the first snapshot arrived', () => {
    const a = metricsAnswer(state({ snapshot: undefined, snapshotAgeMs: undefined }), `Bearer ${TOKEN}`);
    expect(a.status).toBe(503);
    expect(a.headers['retry-after']).toBe('1');
  });

  it('serves the snapshot with the token, plus the ages of the snapshot and of the heartbeat', () => {
    const a = metricsAnswer(state({ snapshot: 'rx_requests_total 3', heartbeatAgeMs: 1234 }), `Bearer ${TOKEN}`);
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(a.body).toMatch(/^rx_requests_total 3\n/);
    expect(a.body).toMatch(/^rx_management_snapshot_age_seconds 0\.250$/m);
    expect(a.body).toMatch(/^rx_management_heartbeat_age_seconds 1\.234$/m);
    expect(a.body).toMatch(/^# TYPE rx_management_heartbeat_age_seconds gauge$/m);
  });
});

describe('management port: routing and restart backoff', () => {
  it('serves nothing but GET/HEAD /health and /metrics', () => {
    expect(managementAnswer('GET', '/graphql', undefined, state()).status).toBe(404);
    expect(managementAnswer('GET', '/', undefined, state()).status).toBe(404);
    const post = managementAnswer('POST', '/health', undefined, state());
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect(managementAnswer('GET', '/health?x=1', undefined, state()).status).toBe(200);
    expect(managementAnswer('HEAD', '/health', undefined, state()).status).toBe(200);
    expect(managementAnswer('GET', '/metrics', `Bearer ${TOKEN}`, state()).status).toBe(200);
  });

  it('restarts a dead worker after 250 ms, doubling to at most 30 s', () => {
    expect([1, 2, 3, 4, 8, 9, 50].map(restartDelayMs)).toEqual([250, 500, 1000, 2000, 30_000, 30_000, 30_000]);
  });
});
