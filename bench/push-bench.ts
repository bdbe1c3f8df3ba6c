// Push delivery (RFC 8935): commit-to-receipt latency at an offered 500 notices/s. A gateway
// process pushes to a receiver on loopback that answers 202 at once; notices are committed in
// batches of 10 every 20 ms through enqueueNotices (as the fan-out does), and each one's latency
// is its receipt at the receiver minus the moment its transaction's COMMIT returned.
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import type { EntityManager } from 'typeorm';
import { DeliveryState } from '../src/delivery/delivery.entity';
import { enqueueNotices } from '../src/delivery/outbox';
import { PUSH_METHOD } from '../src/delivery/stream.entity';

const MAIN = path.join(__dirname, '..', 'src', 'main.js');
const TIER = 'urn:risk-exchange:event:risk-tier-changed';
const log = (m: string) => process.stdout.write(`bench: ${m}\n`);

export async function benchPush(databaseUrl: string, seconds = Number(process.env.BENCH_SECONDS || 10), rate = Number(process.env.BENCH_PUSH_RATE || 500)): Promise<Record<string, number>> {
  const received = new Map<string, number>();
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      const jti = JSON.parse(Buffer.from(Buffer.concat(chunks).toString().split('.')[1], 'base64url').toString()).jti as string;
      if (!received.has(jti)) received.set(jti, at);
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = 4950 + Math.floor(Math.random() * 40);
  const gw = await startGateway(databaseUrl, port);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const streamId = randomUUID();
    const aud = 'https://bench-receiver.example/ssf';
    await db.query(
      `INSERT INTO ssf_stream (id, owner, aud, events_requested, delivery_method, endpoint_url, created_at, updated_at) VALUES ($1, 'bench-bank', $2, $3, $4, $5, now(), now())`,
      [streamId, aud, [TIER], PUSH_METHOD, `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`],
    );
    const tx = { query: async (sql: string, params?: unknown[]) => (await db.query(sql, params)).rows } as unknown as EntityManager;
    const committed = new Map<string, number>();
    const perTick = Math.max(1, Math.round(rate / 50));
    const started = Date.now();
    for (let tick = 0; Date.now() - started < seconds * 1000; tick++) {
      const wait = started + tick * 20 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await db.query('BEGIN');
      const notices = Array.from({ length: perTick }, (_, i) => ({
        streamId, receiver: 'bench-bank', eventId: null, eventType: TIER, state: DeliveryState.PENDING as const, push: true,
        payload: { aud, sub_id: { format: 'opaque', id: `bench-${tick}-${i}` }, events: { [TIER]: { previous_tier: 'none', tier: 'warn', score: 0.7, changed_at: 1_790_000_000 } } },
      }));
      const jtis = await enqueueNotices(tx, notices);
      await db.query('COMMIT');
      const at = performance.timeOrigin + performance.now();
      for (const j of jtis) committed.set(j, at);
    }
    const offeredSeconds = (Date.now() - started) / 1000;
    const deadline = Date.now() + 60_000;
    while (received.size < committed.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const latencies = [...committed].filter(([j]) => received.has(j)).map(([j, at]) => Math.max(0, received.get(j)! - at)).sort((a, b) => a - b);
    const q = (p: number) => (latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]) : NaN);
    const results = {
      push_offered_per_s: Math.round(committed.size / offeredSeconds),
      push_latency_p50_ms: q(0.5),
      push_latency_p99_ms: q(0.99),
      push_latency_max_ms: q(1),
      push_failed: committed.size - latencies.length,
    };
    log(`push, ${results.push_offered_per_s} notices/s committed for ${seconds} s: commit-to-receipt p50 ${results.push_latency_p50_ms} ms, p99 ${results.push_latency_p99_ms} ms, max ${results.push_latency_max_ms} ms; not delivered: ${results.push_failed}`);
    return results;
  } finally {
    await db.end();
    await stop(gw);
    receiver.close();
  }
}

async function startGateway(databaseUrl: string, port: number): Promise<ChildProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-bench-push-'));
  const proc = spawn(process.execPath, [MAIN], {
    env: { ...process.env, NODE_ENV: 'production', GATEWAY_ISSUER: 'https://gateway.bench.invalid', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: databaseUrl, DATA_DIR: dir, ALLOW_INSECURE_PUSH: 'true' },
    stdio: 'ignore',
  });
  const started = Date.now();
  while (Date.now() - started < 60_000) {
    if (proc.exitCode !== null) throw new Error(`gateway exited with ${proc.exitCode}`);
    if (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status === 200, () => false)) return proc;
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill('SIGKILL');
  throw new Error('gateway did not become healthy in 60 s');
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}
