// Commit-to-delivery latency of notices at an offered 500 notices/s, per delivery method: RFC 8936
// poll (one long-polling client acknowledging each batch in its next poll) and the GraphQL
// `notices` subscription (acknowledging every 50 ms on the same socket). Target: p99 under 1 s.
//
// Notices are enqueued with the real outbox function (`enqueueNotices`: INSERT + NOTIFY in one
// transaction) from the bench's own connection, 5 per transaction every 10 ms (an open loop: the
// rate does not slow down when delivery does). Until the fan-out is merged this stands in for
// publishing; the integrator switches the producer to publishEvents. The clock starts just before
// the transaction opens (so it includes the commit), and stops when the client has the SET.
//
// Push: add a consumer to CONSUMERS (same shape) and its stream kind; the producer, the rate and
// the report are shared.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../src/database/data-source';
import { DeliveryState } from '../src/delivery/delivery.entity';
import { enqueueNotices } from '../src/delivery/outbox';
import { POLL_METHOD, PUSH_METHOD } from '../src/delivery/stream.entity';
import { assertion, keyPair, SignKey } from './bench-keys';

const log = (m: string) => process.stdout.write(`bench: ${m}\n`);
const MAIN = path.join(__dirname, '..', '..', 'dist', 'src', 'main.js');
const RATE = Number(process.env.BENCH_DELIVERY_RATE || 500);
const TICK_MS = 10;
const TYPE = 'urn:risk-exchange:event:account-flag';

/** What a consumer gets: the gateway, the stream to read, and where to record each arrival. */
export interface ConsumerContext {
  port: number;
  streamId: string;
  partner: string;
  key: { kid: string; priv: SignKey };
  /** Call once per SET received (duplicates are ignored by the recorder). */
  received: (jti: string) => void;
  /** Set when the run is over: stop reading. */
  stopped: () => boolean;
}
export interface Consumer {
  /** The stream's delivery method. */
  method: string;
  /** Starts consuming; resolves when it is ready to receive (waiting for notices). */
  start(ctx: ConsumerContext): Promise<{ stop(): Promise<void> }>;
}

/** One long-polling client: each poll acknowledges what the previous one returned. */
const pollConsumer: Consumer = {
  method: POLL_METHOD,
  async start(ctx) {
    let ack: string[] = [];
    let token = await assertion(ctx.key, ctx.partner);
    let tokenAt = Date.now();
    let first = true;
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const loop = (async () => {
      while (!ctx.stopped()) {
        if (Date.now() - tokenAt > 200_000) [token, tokenAt] = [await assertion(ctx.key, ctx.partner), Date.now()];
        const body = JSON.stringify({ maxEvents: 100, returnImmediately: first, ack });
        const res = await fetch(`http://127.0.0.1:${ctx.port}/ssf/poll/${ctx.streamId}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
        const answer = (await res.json()) as { sets?: Record<string, string> };
        if (res.status !== 200 || !answer.sets) throw new Error(`poll answered ${res.status}: ${JSON.stringify(answer).slice(0, 300)}`);
        ack = Object.keys(answer.sets);
        for (const jti of ack) ctx.received(jti);
        if (first) ready();
        first = false;
      }
    })();
    await isReady;
    return { stop: () => loop };
  },
};

/** One graphql-transport-ws subscriber; acknowledges every 50 ms with acknowledgeNotices on the same socket. */
const subscriptionConsumer: Consumer = {
  method: POLL_METHOD,
  async start(ctx) {
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(`ws://127.0.0.1:${ctx.port}/graphql`, 'graphql-transport-ws', { headers: { authorization: `Bearer ${await assertion(ctx.key, ctx.partner)}` } });
    let pending: string[] = [];
    let n = 0;
    const errors: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: {} })));
      ws.once('message', () => resolve());
    });
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as { type: string; id?: string; payload?: any };
      if (m.type === 'next' && m.id === 'notices') {
        const jti = m.payload?.data?.notices?.jti as string | undefined;
        if (!jti) errors.push(JSON.stringify(m.payload).slice(0, 300));
        else {
          ctx.received(jti);
          pending.push(jti);
        }
      } else if (m.type === 'error') errors.push(JSON.stringify(m.payload).slice(0, 300));
      else if (m.type === 'next' && m.payload?.errors) errors.push(JSON.stringify(m.payload.errors).slice(0, 300));
    });
    ws.send(JSON.stringify({ id: 'notices', type: 'subscribe', payload: { query: 'subscription($s: ID!) { notices(streamId: $s) { jti set } }', variables: { s: ctx.streamId } } }));
    const acker = setInterval(() => {
      if (!pending.length) return;
      const jtis = pending.splice(0, 1000);
      ws.send(JSON.stringify({ id: `ack-${++n}`, type: 'subscribe', payload: { query: 'mutation($s: ID!, $j: [ID!]!) { acknowledgeNotices(streamId: $s, jtis: $j) { acknowledged } }', variables: { s: ctx.streamId, j: jtis } } }));
    }, 50);
    await new Promise((r) => setTimeout(r, 500)); // the subscription is registered (it answers nothing until a notice)
    return {
      async stop() {
        clearInterval(acker);
        pending = [];
        ws.close();
        if (errors.length) throw new Error(`subscription errors: ${errors[0]}`);
      },
    };
  },
};

/** The scenarios; the push branch adds `push` here. */
export const CONSUMERS: Record<string, Consumer> = { poll: pollConsumer, subscription: subscriptionConsumer };

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] * 10) / 10 : NaN;
};

async function insertStream(ds: DataSource, owner: string, method: string): Promise<string> {
  const id = randomUUID();
  await ds.query(
    `INSERT INTO ssf_stream (id, owner, aud, events_requested, delivery_method, endpoint_url, signing_alg, min_verification_interval, status, consecutive_failures, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'EdDSA', 30, 'enabled', 0, now(), now())`,
    [id, owner, `https://${owner}.example/receiver`, [TYPE], method, method === PUSH_METHOD ? process.env.BENCH_PUSH_URL ?? null : null],
  );
  return id;
}

/** Offers RATE notices/s to one stream for `seconds` and measures commit-to-delivery per notice. */
async function runOne(name: string, consumer: Consumer, ds: DataSource, port: number, partner: string, key: { kid: string; priv: SignKey }, seconds: number): Promise<Record<string, number>> {
  const streamId = await insertStream(ds, partner, consumer.method);
  const startedAt = new Map<string, number>();
  const latencies = new Map<string, number>();
  const early = new Map<string, number>(); // received before the producer learnt its jti (NOTIFY beats the COMMIT's answer)
  let stopped = false;
  const received = (jti: string) => {
    const now = performance.now();
    const t0 = startedAt.get(jti);
    if (t0 === undefined) {
      if (!early.has(jti)) early.set(jti, now);
    } else if (!latencies.has(jti)) latencies.set(jti, now - t0);
  };
  const running = await consumer.start({ port, streamId, partner, key, received, stopped: () => stopped });
  const perTick = Math.max(1, Math.round((RATE * TICK_MS) / 1000));
  const stream = { id: streamId, owner: partner, aud: `https://${partner}.example/receiver` };
  const producing: Promise<void>[] = [];
  const until = performance.now() + seconds * 1000;
  let lateTicks = 0;
  for (let next = performance.now(); next < until; next += TICK_MS) {
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else lateTicks++;
    const t0 = performance.now();
    producing.push(
      ds
        .transaction((tx) =>
          enqueueNotices(
            tx,
            Array.from({ length: perTick }, () => ({
              streamId: stream.id,
              receiver: stream.owner,
              eventId: null,
              eventType: TYPE,
              payload: { aud: stream.aud, sub_id: { format: 'opaque', id: `v1:bench-${randomUUID()}` }, txn: randomUUID(), events: { [TYPE]: { action: 'freeze' } } },
              state: DeliveryState.PENDING as const,
              push: consumer.method === PUSH_METHOD,
            })),
          ),
        )
        .then((jtis) => {
          for (const jti of jtis) {
            startedAt.set(jti, t0);
            const at = early.get(jti);
            if (at !== undefined) latencies.set(jti, at - t0);
          }
        }),
    );
  }
  await Promise.all(producing);
  const offered = startedAt.size;
  const deadline = Date.now() + 60_000;
  while (latencies.size < offered && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  stopped = true;
  await running.stop();
  const xs = [...latencies.values()];
  const lost = offered - xs.length;
  log(`${name}: offered ${offered} notices in ${seconds} s (${Math.round(offered / seconds)}/s, ${lateTicks} producer ticks late), delivered ${xs.length}; commit-to-delivery p50 ${pct(xs, 50)} ms, p99 ${pct(xs, 99)} ms, max ${pct(xs, 100)} ms`);
  if (lost) log(`${name}: ${lost} notices NOT delivered within 60 s after the run`);
  return {
    [`delivery_${name}_offered_per_s`]: Math.round(offered / seconds),
    [`delivery_${name}_delivered`]: xs.length,
    [`delivery_${name}_failed`]: lost,
    [`delivery_${name}_p50_ms`]: pct(xs, 50),
    [`delivery_${name}_p99_ms`]: pct(xs, 99),
    [`delivery_${name}_max_ms`]: pct(xs, 100),
  };
}

export async function benchDelivery(databaseUrl: string): Promise<Record<string, number>> {
  const port = 4986;
  const seconds = Number(process.env.BENCH_SECONDS || 10);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-bench-delivery-'));
  const op = await keyPair('op');
  const env = { ...process.env, NODE_ENV: 'production', GATEWAY_ISSUER: 'https://gateway.bench.invalid', DATABASE_URL: databaseUrl, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', AUDIT_CHECKPOINT_SECONDS: '0', OPERATOR_JWKS: JSON.stringify({ keys: [op.pub] }), RATE_LIMIT_COST_PER_MINUTE: 'BANK=1000000000,OPERATOR=1000000000' };
  const proc: ChildProcess = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  let ds: DataSource | undefined;
  try {
    for (let i = 0; i < 600; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break;
      } catch {
        /* not yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const bank = await keyPair('bank-k');
    const reg = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await assertion(op, 'operator')}` },
      body: JSON.stringify({ query: 'mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { id } }', variables: { i: { id: 'bank-a', name: 'bank-a', kind: 'BANK', jwks: JSON.stringify({ keys: [bank.pub] }) } } }),
    });
    if (!reg.ok) throw new Error(`registering the receiver failed: ${reg.status}`);
    ds = await createDataSource({ databaseUrl, dataDir, migrationsRun: false }).initialize();
    const results: Record<string, number> = {};
    const only = (process.env.BENCH_DELIVERY_METHODS ?? '').split(',').filter(Boolean);
    for (const [name, consumer] of Object.entries(CONSUMERS)) {
      if (only.length && !only.includes(name)) continue;
      log(`delivery ${name}: ${RATE} notices/s offered for ${seconds} s`);
      Object.assign(results, await runOne(name, consumer, ds, port, 'bank-a', bank, seconds));
    }
    return results;
  } finally {
    await ds?.destroy();
    proc.kill('SIGTERM');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
