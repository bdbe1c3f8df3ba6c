// The management port's answers, as pure functions of what the worker knows (no I/O, no Nest):
// management.worker.ts serves them, management-http.spec.ts checks them.
import { timingSafeEqual } from 'node:crypto';

/** What the main thread last published, and what the worker measured itself. */
export interface ManagementState {
  /** `postgres` or `pglite`, as in the main port's /health. */
  database: string;
  /** The main thread's DatabaseHealth verdict (its probe runs every 2 s on a connection of its own). */
  databaseAvailable: boolean;
  /** The worker's own probe on its own connection (PostgreSQL only; undefined: none, or none yet). */
  probeFailure: string | undefined;
  /** ms since the main event loop last ran its heartbeat timer. */
  heartbeatAgeMs: number;
  heartbeatTimeoutMs: number;
  /** The last /metrics text from the main thread, and its age in ms (undefined: none yet). */
  snapshot: string | undefined;
  snapshotAgeMs: number | undefined;
  metricsToken: string | undefined;
  /** Retry-After of a 503 /health, as on the main port. */
  retryAfterSeconds: number;
}

export interface ManagementAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const REALM = 'risk-exchange';

function json(status: number, value: unknown, headers: Record<string, string> = {}): ManagementAnswer {
  return { status, headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-store', ...headers }, body: JSON.stringify(value) };
}

/**
 * Why the gateway is not healthy, or undefined when it is. The heartbeat comes first: a main loop
 * that does not run cannot serve anything, whatever the database says.
 */
export function unhealthyReason(s: ManagementState): string | undefined {
  if (s.heartbeatAgeMs > s.heartbeatTimeoutMs) {
    return `the gateway's main event loop has not run for ${Math.round(s.heartbeatAgeMs)} ms (over MANAGEMENT_HEARTBEAT_TIMEOUT_MS, ${s.heartbeatTimeoutMs} ms)`;
  }
  // No driver message here: /health is public, and one names the database's host and port. The
  // main thread logs the cause (database/database-health.ts).
  if (!s.databaseAvailable) return 'database did not answer';
  if (s.probeFailure !== undefined) return "database did not answer the management port's own probe";
  return undefined;
}

/** GET /health: the main port's shape and status codes (README "Failure behaviour"). */
export function healthAnswer(s: ManagementState): ManagementAnswer {
  const reason = unhealthyReason(s);
  if (reason === undefined) return json(200, { status: 'ok', database: s.database });
  return json(503, { status: 'unavailable', database: s.database, reason }, { 'retry-after': String(s.retryAfterSeconds) });
}

/** Whether `authorization` is `Bearer <METRICS_TOKEN>` (compared in constant time). */
export function hasMetricsToken(authorization: string | undefined, token: string | undefined): boolean {
  if (!token || typeof authorization !== 'string' || !authorization.startsWith('Bearer ')) return false;
  const given = Buffer.from(authorization.slice(7));
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** The worker's own gauges, appended to the main thread's text. */
export function workerGauges(s: ManagementState): string {
  const lines = [
    '# HELP rx_management_heartbeat_age_seconds Time since the main event loop last ran its heartbeat timer (every 100 ms), as the management thread sees it.',
    '# TYPE rx_management_heartbeat_age_seconds gauge',
    `rx_management_heartbeat_age_seconds ${(s.heartbeatAgeMs / 1000).toFixed(3)}`,
  ];
  if (s.snapshotAgeMs !== undefined) {
    lines.push(
      '# HELP rx_management_snapshot_age_seconds Age of the metrics text the main thread last sent the management thread (every MANAGEMENT_SCRAPE_INTERVAL_MS).',
      '# TYPE rx_management_snapshot_age_seconds gauge',
      `rx_management_snapshot_age_seconds ${(s.snapshotAgeMs / 1000).toFixed(3)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * GET /metrics: only with `Bearer METRICS_TOKEN`. The worker cannot check an operator assertion
 * (keys live in the database, behind the main thread), so without a configured token the port
 * serves no metrics at all rather than serve them to anyone (deny by default).
 */
export function metricsAnswer(s: ManagementState, authorization: string | undefined): ManagementAnswer {
  if (!s.metricsToken) {
    return json(403, { error: 'FORBIDDEN', message: 'the management port serves /metrics only with METRICS_TOKEN set: set it and send "Authorization: Bearer <METRICS_TOKEN>", or scrape the main port with an operator assertion' });
  }
  if (!hasMetricsToken(authorization, s.metricsToken)) {
    const sent = typeof authorization === 'string' && authorization.trim() !== '';
    const challenge = sent ? `Bearer realm="${REALM}", error="invalid_token", error_description="send Authorization: Bearer <METRICS_TOKEN>"` : `Bearer realm="${REALM}"`;
    return json(401, { error: 'UNAUTHENTICATED', message: 'the management /metrics needs "Authorization: Bearer <METRICS_TOKEN>"' }, { 'www-authenticate': challenge });
  }
  if (s.snapshot === undefined) {
    return json(503, { error: 'UNAVAILABLE', message: 'no metrics from the main thread yet: retry in a second' }, { 'retry-after': '1' });
  }
  const body = s.snapshot.endsWith('\n') || s.snapshot === '' ? s.snapshot : `${s.snapshot}\n`;
  return { status: 200, headers: { 'content-type': PROMETHEUS_TYPE, 'cache-control': 'no-store' }, body: body + workerGauges(s) };
}

/** Routes one request. Only GET (and HEAD) of /health and /metrics; the query string is ignored. */
export function managementAnswer(method: string | undefined, url: string | undefined, authorization: string | undefined, s: ManagementState): ManagementAnswer {
  const pathname = (url ?? '/').split('?')[0];
  if (pathname !== '/health' && pathname !== '/metrics') {
    return json(404, { error: 'NOT_FOUND', message: `the management port serves only GET /health and GET /metrics, not ${pathname.slice(0, 100)}` });
  }
  if (method !== 'GET' && method !== 'HEAD') {
    return json(405, { error: 'METHOD_NOT_ALLOWED', message: `${pathname} answers only GET (and HEAD)` }, { allow: 'GET, HEAD' });
  }
  return pathname === '/health' ? healthAnswer(s) : metricsAnswer(s, authorization);
}

/** Restart delay of the worker after its n-th failure in a row (1-based): 250 ms doubling to 30 s. */
export function restartDelayMs(failures: number): number {
  return Math.min(30_000, 250 * 2 ** Math.max(0, failures - 1));
}
