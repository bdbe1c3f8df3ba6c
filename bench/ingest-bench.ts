// Ingest benchmark: batches of 100 EdDSA tokens from 4 concurrent clients against a gateway
// process on PostgreSQL, beside the raw jose verification rate measured in the same run.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { compactVerify, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

type SignKey = Parameters<SignJWT['sign']>[0];
type VerifyKey = Parameters<typeof compactVerify>[1];
const log = (m: string) => process.stdout.write(`bench: ${m}\n`);
const ROOT = path.join(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');
const AUDIT_OFF = path.join(ROOT, 'dist', 'bench', 'audit-off.js');

async function keyPair(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const pub = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA' } as JWK;
  return { pub, priv: privateKey, publicKey };
}

async function assertion(priv: SignKey, kid: string, partner: string) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'partner-auth+jwt' }).setIssuer(partner).setSubject(partner).setAudience('risk-exchange').setIssuedAt(now).setExpirationTime(now + 290).sign(priv);
}

async function mintSets(priv: SignKey, n: number, prefix: string): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await new SignJWT({
        iss: 'bench-bank', aud: 'risk-exchange', iat: now, jti: `${prefix}-${i}-${randomUUID()}`,
        sub_id: { format: 'opaque', id: `v1:bench-subject-${i % SUBJECTS}` },
        events: { 'urn:risk-exchange:event:risk-signal': { category: 'cash_out', score: 0.7, confidence: 0.9, reason_codes: ['burst_large_txn'] } },
      }).setProtectedHeader({ alg: 'EdDSA', kid: 'bench-bank-1', typ: 'secevent+jwt' }).sign(priv),
    );
  }
  return out;
}

async function startGateway(env: Record<string, string>, port: number, preload?: string): Promise<ChildProcess> {
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const args = [...prof, ...(preload ? ['-r', preload] : []), MAIN];
  const proc = spawn(process.execPath, args, { env: { ...process.env, NODE_ENV: 'production', GATEWAY_ISSUER: 'https://gateway.bench.invalid', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), AUDIT_CHECKPOINT_SECONDS: '0', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const started = Date.now();
  while (Date.now() - started < 60_000) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).status === 200) return proc;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error('gateway did not start');
}

async function stop(proc: ChildProcess) {
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

async function analyze(url: string): Promise<void> {
  const { Client } = await import('pg');
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('ANALYZE');
  } finally {
    await c.end();
  }
}

async function gql(port: number, token: string, query: string, variables: Record<string, unknown>) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: any; errors?: any[] };
}

/** Publishes `batches` (arrays of tokens) from `clients` concurrent loops; returns accepted events/s. */
async function drive(port: number, auth: () => Promise<string>, batches: string[][], clients: number): Promise<{ perSecond: number; accepted: number; seconds: number }> {
  let next = 0;
  let accepted = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (;;) {
        const i = next++;
        if (i >= batches.length) return;
        const res = await gql(port, await auth(), 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status description } }', { t: batches[i] });
        if (res.errors) throw new Error(JSON.stringify(res.errors));
        // Every token is fresh and valid: anything but ACCEPTED is an error, and fails the run
        // rather than counting as fast work.
        const refused = res.data.publishEvents.filter((r: { status: string }) => r.status !== 'ACCEPTED');
        if (refused.length) throw new Error(`${refused.length} of ${batches[i].length} tokens not accepted: ${JSON.stringify(refused[0])}`);
        accepted += batches[i].length;
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  return { perSecond: Math.round(accepted / seconds), accepted, seconds };
}

const STREAMS = 10;
const SUBJECTS = 5000;

/**
 * Registers STREAMS receiving partners, grants them bench-bank's cash_out signals (half with
 * evidence, so half the notices carry the original token), and gives each a poll stream watching a
 * random tenth of the subjects (rows written directly: the stream API is another branch's).
 * Expected: one notice per event on average, plus tier changes.
 */
async function addStreams(port: number, url: string, op: Awaited<ReturnType<typeof keyPair>>, bank: Awaited<ReturnType<typeof keyPair>>): Promise<void> {
  const opToken = await assertion(op.priv, 'bench-op', 'operator');
  const bankToken = await assertion(bank.priv, 'bench-bank-1', 'bench-bank');
  const { Client } = await import('pg');
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    for (let k = 0; k < STREAMS; k++) {
      const id = `bench-receiver-${k}`;
      const key = await keyPair(`${id}-1`);
      const reg = await gql(port, opToken, 'mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { id } }', { i: { id, name: `Receiver ${k}`, kind: k % 2 ? 'ECOMMERCE' : 'BANK', jwks: JSON.stringify({ keys: [key.pub] }) } });
      if (reg.errors) throw new Error(JSON.stringify(reg.errors));
      const grant = await gql(port, bankToken, 'mutation($i: GrantAccessInput!) { grantAccess(input: $i) { id } }', {
        i: { grantee: id, categories: ['cash_out'], includeEvidence: k % 2 === 0, expiresAt: new Date(Date.now() + 86_400_000).toISOString(), purpose: 'bench fan-out' },
      });
      if (grant.errors) throw new Error(JSON.stringify(grant.errors));
      const stream = randomUUID();
      const requested = ['urn:risk-exchange:event:risk-signal', 'urn:risk-exchange:event:retraction', 'urn:risk-exchange:event:risk-tier-changed', 'https://schemas.openid.net/secevent/caep/event-type/risk-level-change'];
      await c.query(
        `INSERT INTO ssf_stream (id, owner, aud, events_requested, delivery_method, signing_alg, min_verification_interval, status, consecutive_failures, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'urn:ietf:rfc:8936', 'EdDSA', 30, 'enabled', 0, now(), now())`,
        [stream, id, `https://${id}.example/ssf`, requested],
      );
      const watched = Array.from({ length: SUBJECTS }, (_, i) => `v1:bench-subject-${i}`).filter(() => Math.random() < 0.1);
      await c.query(`INSERT INTO ssf_stream_subject (stream_id, subject, added_at) SELECT $1, s, now() FROM unnest($2::varchar[]) s`, [stream, watched]);
    }
  } finally {
    await c.end();
  }
  log(`${STREAMS} poll streams of ${STREAMS} partners, each watching a random tenth of ${SUBJECTS} subjects`);
}

async function countNotices(url: string): Promise<number> {
  const { Client } = await import('pg');
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query('SELECT count(*) AS n FROM delivery')).rows[0].n);
  } finally {
    await c.end();
  }
}

/**
 * Size of the partner-event notices the publishing transactions wrote: bytes of `payload` as JSON
 * text and as stored (jsonb, after TOAST compression), and of the whole row. The fan-out's cost in
 * PostgreSQL grows with what each row carries (WAL, heap, the JSON the statement builds or parses).
 */
async function noticeBytes(url: string): Promise<{ jsonText: number; payloadStored: number; row: number }> {
  const { Client } = await import('pg');
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const r = (await c.query(`SELECT avg(octet_length(payload::text))::float8 AS t, avg(pg_column_size(payload))::float8 AS p, avg(pg_column_size(d.*))::float8 AS r
      FROM delivery d WHERE event_id IS NOT NULL`)).rows[0];
    return { jsonText: Math.round(r.t), payloadStored: Math.round(r.p), row: Math.round(r.r) };
  } finally {
    await c.end();
  }
}

/**
 * CPU seconds used so far by the gateway process and by the PostgreSQL backends serving its
 * database (Linux /proc; null elsewhere). On a shared machine, wall-clock throughput swings with
 * the neighbours' load; CPU time per event is what the gateway itself costs.
 */
async function cpuSeconds(gatewayPid: number, url: string): Promise<{ gateway: number; database: number } | null> {
  const ticks = (pid: number) => {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, USER_HZ = 100
    } catch {
      return null;
    }
  };
  const gateway = ticks(gatewayPid);
  if (gateway === null) return null;
  const { Client } = await import('pg');
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const pids = (await c.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)).rows.map((r) => Number(r.pid));
    const database = pids.map(ticks).reduce<number>((a, t) => a + (t ?? 0), 0);
    return { gateway, database };
  } finally {
    await c.end();
  }
}

/** CPU seconds of the gateway's main thread (tid = pid), Linux /proc: on-CPU time, unaffected by a busy shared machine. */
function mainThreadCpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Events sent before the measured ones (not counted): the figures are the steady state.
 * BENCH_INGEST_WARMUP (a multiple of 100) and BENCH_INGEST_CLIENTS make a small, gentler run for
 * measuring CPU per event on a shared machine (the figures then are ratios, not rates).
 */
const WARM_UP_EVENTS = Number(process.env.BENCH_INGEST_WARMUP || 3000);
const CLIENTS = Number(process.env.BENCH_INGEST_CLIENTS || 4);

export async function benchIngest(databaseUrl: (name: string) => Promise<string>, dropDb: (name: string) => Promise<void>): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  const op = await keyPair('bench-op');
  const bank = await keyPair('bench-bank-1');
  const total = Number(process.env.BENCH_INGEST_EVENTS || 40_000);

  // Raw jose verification rate, one core, same tokens.
  const sample = await mintSets(bank.priv, 4000, 'raw');
  const t = Date.now();
  for (const s of sample) await compactVerify(s, bank.publicKey as VerifyKey, { algorithms: ['EdDSA'] });
  results.jose_verify_per_s = Math.round(sample.length / ((Date.now() - t) / 1000));
  log(`raw jose EdDSA verification, one at a time: ${results.jose_verify_per_s} tokens/s`);
  const t2 = Date.now();
  for (let i = 0; i < sample.length; i += 100) await Promise.all(sample.slice(i, i + 100).map((s) => compactVerify(s, bank.publicKey as VerifyKey, { algorithms: ['EdDSA'] })));
  results.jose_verify_parallel_per_s = Math.round(sample.length / ((Date.now() - t2) / 1000));
  log(`raw jose EdDSA verification, 100 at a time (WebCrypto spreads them over the libuv pool, i.e. every core): ${results.jose_verify_parallel_per_s} tokens/s`);

  // `streams`: audit on, with STREAMS poll streams of other partners each watching a tenth of the
  // subjects and granted the signals (half with evidence), so the fan-out writes notices (and
  // tier changes) in every publishing transaction; compared with `on`, the same run without streams.
  // 'inline': audit on, tokens verified on the main thread (VERIFY_WORKERS=0), as before the worker pool.
  // BENCH_INGEST_MODES=on,streams (say) runs only those modes.
  const modes = (process.env.BENCH_INGEST_MODES ?? 'on,off,inline,streams').split(',').map((m) => m.trim());
  for (const mode of ['on', 'off', 'inline', 'streams'] as const) {
    if (!modes.includes(mode)) continue;
    const name = `rx_bench_ingest_${mode}_${process.pid}`;
    const url = await databaseUrl(name);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-bench-ingest-'));
    const port = 20_000 + Math.floor(Math.random() * 20_000); // a fixed port may be another bench's on a shared machine
    // Capacity, not overload: lag shedding is off here (on a busy shared machine it refused some of
    // these 4 clients' batches); the overload scenario measures shedding.
    const env = { DATABASE_URL: url, DATA_DIR: dataDir, OPERATOR_JWKS: JSON.stringify({ keys: [op.pub] }), OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0', ...(mode === 'inline' ? { VERIFY_WORKERS: '0' } : {}) };
    const proc = await startGateway(env, port, mode === 'off' ? AUDIT_OFF : undefined);
    try {
      const reg = await gql(port, await assertion(op.priv, 'bench-op', 'operator'), 'mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { id } }', {
        i: { id: 'bench-bank', name: 'Bench bank', kind: 'BANK', jwks: JSON.stringify({ keys: [bank.pub] }) },
      });
      if (reg.errors) throw new Error(JSON.stringify(reg.errors));
      if (mode === 'streams') await addStreams(port, url, op, bank);
      log(`minting ${total + WARM_UP_EVENTS} tokens for audit ${mode} (${WARM_UP_EVENTS} to warm up)...`);
      const tokens = await mintSets(bank.priv, total + WARM_UP_EVENTS, mode);
      const batches: string[][] = [];
      for (let i = 0; i < tokens.length; i += 100) batches.push(tokens.slice(i, i + 100));
      let token = await assertion(bank.priv, 'bench-bank-1', 'bench-bank');
      let minted = Date.now();
      const auth = async () => {
        if (Date.now() - minted > 200_000) {
          token = await assertion(bank.priv, 'bench-bank-1', 'bench-bank');
          minted = Date.now();
        }
        return token;
      };
      await drive(port, auth, batches.slice(0, WARM_UP_EVENTS / 100), CLIENTS); // warm-up: JIT, pooled connections, prepared statements
      // A fresh database has no planner statistics until autovacuum's first pass (about a minute
      // in): gather them now, as a database in steady use has them.
      await analyze(url);
      const noticesBefore = mode === 'streams' ? await countNotices(url) : 0;
      const cpuBefore = await cpuSeconds(proc.pid!, url);
      const cpu0 = mainThreadCpuSeconds(proc.pid as number);
      const r = await drive(port, auth, batches.slice(WARM_UP_EVENTS / 100), CLIENTS);
      const mainUs = Math.round(((mainThreadCpuSeconds(proc.pid as number) - cpu0) * 1e6) / r.accepted);
      const cpuAfter = await cpuSeconds(proc.pid!, url);
      const key = mode === 'streams' ? 'ingest_streams' : mode === 'inline' ? 'ingest_audit_on_inline_verify' : `ingest_audit_${mode}`;
      if (cpuBefore && cpuAfter) {
        results[`${key}_gateway_cpu_ms_per_1000`] = Math.round(((cpuAfter.gateway - cpuBefore.gateway) / r.accepted) * 1e6);
        results[`${key}_database_cpu_ms_per_1000`] = Math.round(((cpuAfter.database - cpuBefore.database) / r.accepted) * 1e6);
        log(`${key}: CPU per 1,000 events: gateway ${results[`${key}_gateway_cpu_ms_per_1000`]} ms, PostgreSQL backends ${results[`${key}_database_cpu_ms_per_1000`]} ms`);
      }
      results[`${key}_per_s`] = r.perSecond;
      results[`${key}_main_cpu_us_per_event`] = mainUs;
      if (mode === 'streams') {
        results.ingest_streams_notices = (await countNotices(url)) - noticesBefore;
        const bytes = await noticeBytes(url);
        results.ingest_streams_notice_payload_json_bytes = bytes.jsonText;
        results.ingest_streams_notice_payload_stored_bytes = bytes.payloadStored;
        results.ingest_streams_notice_row_bytes = bytes.row;
        log(`partner-event notices: payload ${bytes.jsonText} bytes as JSON text, ${bytes.payloadStored} stored; row ${bytes.row} bytes`);
        log(`ingest, audit on, ${STREAMS} streams watching a tenth of the subjects each: ${r.accepted} events accepted in ${r.seconds.toFixed(1)} s = ${r.perSecond} events/s (target >= 4,000); ${results.ingest_streams_notices} notices written; main thread ${mainUs} µs CPU per event`);
      } else {
        log(`ingest, ${mode === 'inline' ? 'audit on, verified on the main thread (VERIFY_WORKERS=0)' : `audit ${mode}`}: ${r.accepted} events accepted in ${r.seconds.toFixed(1)} s = ${r.perSecond} events/s (4 clients, batches of 100; target >= 4,000); main thread ${mainUs} µs CPU per event`);
      }
    } finally {
      await stop(proc);
      await dropDb(name);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  if (results.ingest_audit_on_per_s) results.ingest_vs_raw_verify_ratio = Math.round((results.ingest_audit_on_per_s / results.jose_verify_parallel_per_s) * 100) / 100;
  log(`ingest (audit on) / raw parallel verification = ${results.ingest_vs_raw_verify_ratio}`);
  if (results.ingest_streams_per_s && results.ingest_audit_on_per_s) {
    results.ingest_streams_vs_no_streams_ratio = Math.round((results.ingest_streams_per_s / results.ingest_audit_on_per_s) * 100) / 100;
    log(`ingest with ${STREAMS} streams / without (both audit on) = ${results.ingest_streams_vs_no_streams_ratio}`);
  }
  const cpu = (k: string) => (results[`${k}_gateway_cpu_ms_per_1000`] ?? 0) + (results[`${k}_database_cpu_ms_per_1000`] ?? 0);
  if (cpu('ingest_streams') && cpu('ingest_audit_on')) {
    results.ingest_streams_vs_no_streams_cpu_ratio = Math.round((cpu('ingest_streams') / cpu('ingest_audit_on')) * 100) / 100;
    log(`CPU per event (gateway + PostgreSQL), with ${STREAMS} streams / without = ${results.ingest_streams_vs_no_streams_cpu_ratio}`);
  }
  // What the fan-out itself costs, per notice written: the CPU per event with streams minus without,
  // over the notices per event (both runs in one session: the neighbours' load affects both alike).
  if (results.ingest_streams_notices && results.ingest_streams_gateway_cpu_ms_per_1000 && results.ingest_audit_on_gateway_cpu_ms_per_1000) {
    const perEvent = results.ingest_streams_notices / (total || 1);
    const extra = (k: 'gateway' | 'database') => results[`ingest_streams_${k}_cpu_ms_per_1000`] - results[`ingest_audit_on_${k}_cpu_ms_per_1000`];
    results.fanout_notices_per_event = Math.round(perEvent * 100) / 100;
    results.fanout_gateway_cpu_us_per_event = extra('gateway');
    results.fanout_database_cpu_us_per_event = extra('database');
    results.fanout_gateway_cpu_us_per_notice = Math.round(extra('gateway') / perEvent);
    results.fanout_database_cpu_us_per_notice = Math.round(extra('database') / perEvent);
    log(`fan-out cost: ${results.fanout_notices_per_event} notices per event; gateway +${extra('gateway')} µs CPU per event (${results.fanout_gateway_cpu_us_per_notice} per notice), PostgreSQL +${extra('database')} µs per event (${results.fanout_database_cpu_us_per_notice} per notice)`);
  }
  if (results.ingest_audit_on_per_s && results.ingest_audit_on_inline_verify_per_s) {
    results.ingest_pool_vs_inline_ratio = Math.round((results.ingest_audit_on_per_s / results.ingest_audit_on_inline_verify_per_s) * 100) / 100;
    log(`ingest (audit on), worker pool / main thread = ${results.ingest_pool_vs_inline_ratio}`);
  }
  return results;
}
