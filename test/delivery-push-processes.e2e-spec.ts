import 'reflect-metadata';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import type { EntityManager } from 'typeorm';
import { DeliveryState } from '../src/delivery/delivery.entity';
import { enqueueNotices } from '../src/delivery/outbox';
import { PUSH_METHOD } from '../src/delivery/stream.entity';
import { TestDatabase, usingPostgres, withClient } from './support/app';
import { GatewayProcess, waitFor } from './support/processes';
import { answer, TestReceiver } from './support/receiver';

/**
 * Push from several gateway processes on one PostgreSQL database: every delivery is sent by
 * exactly one of them (claims with SKIP LOCKED and a lease), and a process killed with SIGKILL
 * after claiming leaves its deliveries to another once the lease has run out.
 */
const TIER = 'urn:risk-exchange:event:risk-tier-changed';
const METRICS_TOKEN = 'push-processes-metrics-token';

(usingPostgres() ? describe : describe.skip)('push from several gateway processes (e2e, real processes, PostgreSQL)', () => {
  let db: TestDatabase;
  const procs: GatewayProcess[] = [];
  const receivers: TestReceiver[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const p = GatewayProcess.spawn({
      DATABASE_URL: db.url!,
      DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'rx-push-proc-')),
      ALLOW_INSECURE_PUSH: 'true',
      PUSH_SCAN_INTERVAL_MS: '200',
      PUSH_TIMEOUT_MS: '3000',
      PUSH_LEASE_MS: '6000',
      PUSH_BASE_DELAY_MS: '50',
      PUSH_MAX_DELAY_MS: '500',
      METRICS_TOKEN,
      AUDIT_CHECKPOINT_SECONDS: '0',
      OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
      ...env,
    });
    procs.push(p);
    return p.listening();
  };

  /** A push stream and `n` notices on it, committed in one transaction through enqueueNotices. */
  const streamWithNotices = async (endpoint: string, n: number): Promise<{ streamId: string; jtis: string[] }> =>
    withClient(db.url!, async (c) => {
      const streamId = randomUUID();
      await c.query('BEGIN');
      await c.query(
        `INSERT INTO ssf_stream (id, owner, aud, events_requested, delivery_method, endpoint_url, created_at, updated_at) VALUES ($1, 'bank-a', 'https://bank-a.example/ssf', $2, $3, $4, now(), now())`,
        [streamId, [TIER], PUSH_METHOD, endpoint],
      );
      const notices = Array.from({ length: n }, (_, i) => ({
        streamId, receiver: 'bank-a', eventId: null, eventType: TIER, state: DeliveryState.PENDING as const, push: true,
        payload: { aud: 'https://bank-a.example/ssf', sub_id: { format: 'opaque', id: `subj-${i}` }, events: { [TIER]: { previous_tier: 'none', tier: 'warn', score: 0.7, changed_at: 1_790_000_000 } } },
      }));
      const jtis = await enqueueNotices(manager(c), notices);
      await c.query('COMMIT');
      return { streamId, jtis };
    });
  const states = (streamId: string) =>
    withClient(db.url!, async (c) => (await c.query(`SELECT state, attempts, count(*)::int AS n FROM delivery WHERE stream_id = $1 GROUP BY state, attempts ORDER BY state, attempts`, [streamId])).rows);

  beforeAll(async () => {
    db = await TestDatabase.create();
  });
  afterAll(async () => {
    for (const p of procs) await p.kill('SIGKILL');
    for (const r of receivers) await r.close();
    await db?.drop();
  });

  it('pushes each of 300 notices exactly once from two processes, and both take part (a third, with PUSH_WORKER=false, does not)', async () => {
    const r = await TestReceiver.start((req, res) => void setTimeout(() => answer(202)(req, res), 5));
    receivers.push(r);
    const [a, b] = [await start(), await start()]; // one after the other: the first one migrates
    const idle = await start({ PUSH_WORKER: 'false' });
    const { streamId, jtis } = await streamWithNotices(r.url(), 300);
    await waitFor(async () => (await states(streamId)).every((s) => s.state === 'ACKED'), 60_000, 'every notice to be acknowledged');

    const times = new Map<string, number>();
    for (const jti of r.jtis()) times.set(jti, (times.get(jti) ?? 0) + 1);
    expect([...times.keys()].sort()).toEqual([...jtis].sort());
    expect([...times.values()].filter((n) => n !== 1)).toEqual([]);
    expect(await states(streamId)).toEqual([{ state: 'ACKED', attempts: 1, n: 300 }]);
    const [byA, byB] = [await pushedBy(a), await pushedBy(b)];
    expect(byA + byB).toBe(300);
    expect(byA).toBeGreaterThan(0);
    expect(byB).toBeGreaterThan(0);
    expect(await pushedBy(idle)).toBe(0);
  });

  it('delivers through another process what a process killed with SIGKILL had claimed, after the lease', async () => {
    // One pusher only: the other processes stop (SIGTERM: they finish what they send).
    for (const p of procs.splice(0)) await p.kill('SIGTERM');
    let hold = true;
    const r = await TestReceiver.start((req, res) => (hold ? undefined : answer(202)(req, res))); // holding: never answers
    receivers.push(r);
    const doomed = await start({ PUSH_STREAM_CONCURRENCY: '32' }); // all 20 of the stream in flight at once
    const { streamId, jtis } = await streamWithNotices(r.url(), 20);
    await waitFor(() => r.received.length >= 20, 30_000, 'the first process to send all 20');
    await doomed.kill('SIGKILL');
    expect(await states(streamId)).toEqual([{ state: 'PENDING', attempts: 1, n: 20 }]); // claimed, never answered

    hold = false;
    const heir = await start();
    await waitFor(async () => (await states(streamId)).every((s) => s.state === 'ACKED'), 60_000, 'the second process to deliver them');
    expect(await states(streamId)).toEqual([{ state: 'ACKED', attempts: 2, n: 20 }]);
    // Each SET was sent twice (the killed process's unanswered attempt, then the heir's), with one jti.
    const times = new Map<string, number>();
    for (const jti of r.jtis()) times.set(jti, (times.get(jti) ?? 0) + 1);
    expect([...times.keys()].sort()).toEqual([...jtis].sort());
    expect(new Set(times.values())).toEqual(new Set([2]));
    expect(await pushedBy(heir)).toBe(20);
  });
});

/** enqueueNotices needs only `query`: a pg client in a transaction stands in for an EntityManager. */
function manager(c: Client): EntityManager {
  return { query: async (sql: string, params?: unknown[]) => (await c.query(sql, params)).rows } as unknown as EntityManager;
}

/** Push deliveries acknowledged by one process, from its /metrics. */
async function pushedBy(p: GatewayProcess): Promise<number> {
  const res = await fetch(`${p.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const text = await res.text();
  if (res.status !== 200 || !text.includes('# HELP rx_delivery_latency_seconds')) throw new Error(`GET /metrics answered ${res.status}: ${text.slice(0, 200)}`);
  return Number(/^rx_delivery_latency_seconds_count\{method="push"\} (\d+)/m.exec(text)?.[1] ?? 0);
}
