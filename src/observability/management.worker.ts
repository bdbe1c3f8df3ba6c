// The management thread: plain node:http on MANAGEMENT_PORT answering GET /health and GET /metrics
// from what the main thread published (management.ts), so an answer never waits for a turn of the
// main event loop. No Nest, no TypeORM: this thread does nothing else.
import * as http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { Client } from 'pg';
import { managementAnswer, type ManagementState } from './management-http';

/** What the main thread hands the worker at start (management.ts builds it). */
export interface ManagementWorkerData {
  host: string;
  port: number;
  database: string;
  /** PostgreSQL only: the worker probes it on a connection of its own. */
  databaseUrl: string | undefined;
  metricsToken: string | undefined;
  heartbeatTimeoutMs: number;
  retryAfterSeconds: number;
  /** BigInt64Array[0]: ms since the epoch of the main loop's last heartbeat (written with Atomics). */
  heartbeat: SharedArrayBuffer;
  databaseAvailable: boolean;
  snapshot: string | undefined;
  snapshotAt: number | undefined;
}

/** Main thread to worker. */
export type ManagementMessage = { type: 'snapshot'; text: string; at: number } | { type: 'state'; available: boolean };

/** Worker to main thread. */
export type ManagementReport = { type: 'listening'; port: number } | { type: 'probe'; failure: string | undefined };

const PROBE_EVERY_MS = 2000;
const PROBE_TIMEOUT_MS = 2000;

function run(data: ManagementWorkerData): void {
  const heartbeat = new BigInt64Array(data.heartbeat);
  let available = data.databaseAvailable;
  let snapshot = data.snapshot;
  let snapshotAt = data.snapshotAt;
  let probeFailure: string | undefined;

  parentPort?.on('message', (m: ManagementMessage) => {
    if (m.type === 'snapshot') {
      snapshot = m.text;
      snapshotAt = m.at;
    } else if (m.type === 'state') {
      available = m.available;
    }
  });

  const state = (): ManagementState => {
    const now = Date.now();
    return {
      database: data.database,
      databaseAvailable: available,
      probeFailure,
      heartbeatAgeMs: Math.max(0, now - Number(Atomics.load(heartbeat, 0))),
      heartbeatTimeoutMs: data.heartbeatTimeoutMs,
      snapshot,
      snapshotAgeMs: snapshotAt === undefined ? undefined : Math.max(0, now - snapshotAt),
      metricsToken: data.metricsToken,
      retryAfterSeconds: data.retryAfterSeconds,
    };
  };

  const server = http.createServer((req, res) => {
    try {
      const answer = managementAnswer(req.method, req.url, req.headers.authorization, state());
      res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) });
      res.end(req.method === 'HEAD' ? undefined : answer.body);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ error: 'INTERNAL', message: (e as Error).message }));
    }
    // Bodies are never read: drain whatever a client sent so the connection can be reused.
    req.resume();
  });
  // A slow or idle client cannot hold sockets for long; these answers take microseconds.
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.maxHeadersCount = 100;
  server.maxConnections = 1000;
  // A failed listen (port in use, host not local) ends the thread; the main thread logs it and retries.
  server.once('error', (e) => {
    throw e;
  });
  server.listen(data.port, data.host, () => {
    const address = server.address();
    parentPort?.postMessage({ type: 'listening', port: typeof address === 'object' && address ? address.port : data.port } satisfies ManagementReport);
  });

  // A change of the probe's verdict goes to the main thread's log (the public /health does not carry the driver's message).
  if (data.databaseUrl) {
    probeLoop(data.databaseUrl, (failure) => {
      if (failure !== probeFailure) parentPort?.postMessage({ type: 'probe', failure } satisfies ManagementReport);
      probeFailure = failure;
    });
  }
}

/**
 * PostgreSQL only: SELECT 1 every 2 s on a connection of the worker's own, so the management
 * /health sees an outage even while the main loop is too busy to publish it. One slow answer may
 * be load, not an outage: a timeout counts from the second in a row (errors count at once), as in
 * database/database-health.ts. PGlite lives in the main thread: there the main thread's state is all.
 */
function probeLoop(url: string, report: (failure: string | undefined) => void): void {
  let client: Client | undefined;
  let slow = 0;
  const probe = async () => {
    try {
      if (!client) {
        const c = new Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS, application_name: 'risk-exchange-management' });
        c.on('error', () => undefined); // a dropped connection is seen by the next probe
        client = c;
        await c.connect();
      }
      await withTimeout(client.query('SELECT 1'), PROBE_TIMEOUT_MS);
      slow = 0;
      report(undefined);
    } catch (e) {
      if (e instanceof ProbeTimeout && ++slow < 2) return;
      report((e as Error).message || String(e));
      const c = client;
      client = undefined;
      c?.end().catch(() => undefined);
    }
  };
  const tick = () => void probe().finally(() => setTimeout(tick, PROBE_EVERY_MS).unref());
  tick();
}

class ProbeTimeout extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new ProbeTimeout(`no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

if (parentPort) run(workerData as ManagementWorkerData);
