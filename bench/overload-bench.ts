// Overload benchmark: the sustainable publish rate first (closed loop), then an open-loop flood of
// publishEvents batches at two and ten times that rate. Reports goodput, p99, RSS, the share of
// 503 answers and /health and /metrics latency per phase, on the main port and on the management
// port (MANAGEMENT_PORT, a thread of its own); every response body is checked and errors counted.
import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

type SignKey = Parameters<SignJWT['sign']>[0];
const log = (m: string) => process.stdout.write(`bench: ${m}\n`);
const MAIN = path.join(__dirname, '..', 'src', 'main.js');
const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const PARTNERS = 4;
const BATCH = 100;
const PUBLISH = 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status } }';

interface Partner {
  id: string;
  priv: SignKey;
  batches: string[][];
}

async function assertion(priv: SignKey, kid: string, partner: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'partner-auth+jwt' }).setIssuer(partner).setSubject(partner).setAudience('risk-exchange').setIssuedAt(now).setExpirationTime(now + 290).sign(priv);
}

async function mint(priv: SignKey, partner: string, n: number): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000);
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      new SignJWT({ iss: partner, aud: 'risk-exchange', iat: now, jti: randomUUID(), sub_id: { format: 'opaque', id: `v1:overload-${i % 2000}` }, events: { 'urn:risk-exchange:event:risk-signal': { category: 'cash_out', score: 0.7, confidence: 0.9, reason_codes: ['burst_large_txn'] } } })
        .setProtectedHeader({ alg: 'EdDSA', kid: `${partner}-1`, typ: 'secevent+jwt' })
        .sign(priv),
    ),
  );
}

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

const p99 = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] : null);

interface Tally {
  ok: number;
  shed: number;
  errors: number;
  acknowledged: number;
  latencies: number[];
}

/** One publish; checks the body and counts it. */
async function publish(port: number, p: Partner, bearer: string, batch: string[], t: Tally): Promise<void> {
  const started = Date.now();
  try {
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify({ query: PUBLISH, variables: { t: batch } }), signal: AbortSignal.timeout(60_000) });
    const body = (await res.json()) as { data?: { publishEvents?: Array<{ status: string }> }; errors?: Array<{ extensions?: { code?: string; retryAfter?: number } }> };
    const results = body.data?.publishEvents;
    if (res.status === 200 && results?.length === batch.length && results.every((r) => r.status === 'ACCEPTED' || r.status === 'DUPLICATE')) {
      t.ok++;
      t.acknowledged += batch.length;
      t.latencies.push(Date.now() - started);
    } else if (res.status === 503 && Number(res.headers.get('retry-after')) >= 1 && body.errors?.[0]?.extensions?.code === 'OVERLOADED' && body.errors[0].extensions.retryAfter === Number(res.headers.get('retry-after'))) {
      t.shed++;
    } else {
      t.errors++;
    }
  } catch {
    t.errors++;
  }
}

const METRICS_TOKEN = 'overload-bench-metrics-token';

/** One GET timed by curl (a process of its own, so the load generator's busy event loop does not inflate it). */
function curlTime(url: string, headers: string[] = []): Promise<{ code: string; ms: number; connectMs: number; body: string }> {
  return new Promise((resolve) =>
    execFile('curl', ['-s', '-m', '5', ...headers.flatMap((h) => ['-H', h]), '-w', '\n%{http_code} %{time_total} %{time_connect}', url], { maxBuffer: 16 * 2 ** 20 }, (_e, stdout) => {
      const text = String(stdout);
      const cut = text.lastIndexOf('\n');
      const [code, seconds, connect] = text.slice(cut + 1).split(' ');
      resolve({ code, ms: Math.round(Number(seconds) * 1000), connectMs: Math.round(Number(connect) * 1000), body: text.slice(0, Math.max(0, cut)) });
    }),
  );
}

interface Probe {
  p99: number | null;
  max: number;
  failures: number;
  count: number;
}
const probeOf = (times: number[], failures: number): Probe => ({ p99: p99(times), max: Math.max(0, ...times), failures, count: times.length + failures });

/** The management port (MANAGEMENT_PORT): /health and /metrics answered by a thread of their own. */
const managementPortOf = (port: number) => port + 1;

/**
 * Samples /health and /metrics latency (each timed by curl) on the main port and on the management
 * port, and the gateway's RSS, every 100 ms until `done` resolves. /metrics is scraped with
 * METRICS_TOKEN, as README "Failure behaviour" says to under load.
 */
async function watch(port: number, pid: number, done: Promise<unknown>): Promise<{ health: Probe; metrics: Probe; mgmtHealth: Probe; mgmtMetrics: Probe; rssMaxMiB: number; lagP50Ms: number | null; lagMaxMs: number }> {
  let finished = false;
  void done.then(() => (finished = true));
  const times = { health: [] as number[], metrics: [] as number[], mgmtHealth: [] as number[], mgmtMetrics: [] as number[] };
  const failures = { health: 0, metrics: 0, mgmtHealth: 0, mgmtMetrics: 0 };
  let rss = 0;
  const lags: number[] = []; // the gateway's own judgement (rx_event_loop_lag_seconds), as scraped
  const mgmt = managementPortOf(port);
  while (!finished) {
    const [health, metrics, mgmtHealth, mgmtMetrics] = await Promise.all([
      curlTime(`http://127.0.0.1:${port}/health`),
      curlTime(`http://127.0.0.1:${port}/metrics`, [`authorization: Bearer ${METRICS_TOKEN}`]),
      curlTime(`http://127.0.0.1:${mgmt}/health`),
      curlTime(`http://127.0.0.1:${mgmt}/metrics`, [`authorization: Bearer ${METRICS_TOKEN}`]),
    ]);
    if (process.env.BENCH_PROBE_LOG) fs.appendFileSync(process.env.BENCH_PROBE_LOG, `${Date.now()} health ${health.code} ${health.ms} connect ${health.connectMs} metrics ${metrics.code} ${metrics.ms} connect ${metrics.connectMs} mgmt_health ${mgmtHealth.code} ${mgmtHealth.ms} mgmt_metrics ${mgmtMetrics.code} ${mgmtMetrics.ms}\n`);
    for (const [name, probe] of [['health', health], ['metrics', metrics], ['mgmtHealth', mgmtHealth], ['mgmtMetrics', mgmtMetrics]] as const) {
      if (probe.code === '200') times[name].push(probe.ms);
      else failures[name]++;
    }
    const lag = /^rx_event_loop_lag_seconds ([\d.e+-]+)$/m.exec(metrics.body)?.[1];
    if (lag !== undefined) lags.push(Math.round(Number(lag) * 1000));
    rss = Math.max(rss, rssMiB(pid));
    await new Promise((r) => setTimeout(r, 100));
  }
  const sortedLags = [...lags].sort((a, b) => a - b);
  return { health: probeOf(times.health, failures.health), metrics: probeOf(times.metrics, failures.metrics), mgmtHealth: probeOf(times.mgmtHealth, failures.mgmtHealth), mgmtMetrics: probeOf(times.mgmtMetrics, failures.mgmtMetrics), rssMaxMiB: Math.round(rss), lagP50Ms: sortedLags.length ? sortedLags[sortedLags.length >> 1] : null, lagMaxMs: Math.max(0, ...lags) };
}

/**
 * CPU seconds used so far by the gateway's main thread (its tid is its pid) and by the whole process
 * (workers, libuv pool, GC threads): on-CPU time, so unlike latency it does not grow when the
 * shared machine is busy. Linux /proc; utime + stime in clock ticks (100 per second).
 */
function cpuSeconds(pid: number): { main: number; all: number } {
  const ticks = (file: string) => {
    const fields = fs.readFileSync(file, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // fields 14 and 15 of stat(5), counted after "pid (comm)"
  };
  return { main: ticks(`/proc/${pid}/task/${pid}/stat`), all: ticks(`/proc/${pid}/stat`) };
}

/** The machine's 1-minute load average: the machine is shared, so each figure says how busy it was. */
const loadAvg = () => Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

export async function benchOverload(databaseUrl: string): Promise<Record<string, unknown>> {
  const port = 5000 + Math.floor(Math.random() * 50);
  const { privateKey: opPriv, publicKey: opPub } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const operatorJwks = JSON.stringify({ keys: [{ ...(await exportJWK(opPub)), kid: 'bench-op', alg: 'EdDSA' }] });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-bench-overload-'));
  // BENCH_CPU_PROF=dir writes the gateway's CPU profile there (what runs on the main thread under load).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const proc: ChildProcess = spawn(process.execPath, [...prof, MAIN], {
    env: { ...process.env, NODE_ENV: 'production', GATEWAY_ISSUER: 'https://gateway.bench.invalid', LOG_LEVEL: 'error', HOST: '127.0.0.1', PORT: String(port), MANAGEMENT_PORT: String(managementPortOf(port)), DATA_DIR: dir, DATABASE_URL: databaseUrl, OPERATOR_JWKS: operatorJwks, METRICS_TOKEN, AUDIT_CHECKPOINT_SECONDS: '0', RATE_LIMIT_COST_PER_MINUTE: 'BANK=1000000000' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (let t = Date.now(); ; ) {
      if (Date.now() - t > 60_000) throw new Error('gateway did not start');
      if (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status === 200, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const op = await assertion(opPriv, 'bench-op', 'operator');
    const partners: Partner[] = [];
    for (let i = 0; i < PARTNERS; i++) {
      const id = `overload-bank-${i}`;
      const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      const jwk = { ...(await exportJWK(publicKey)), kid: `${id}-1`, alg: 'EdDSA' } as JWK;
      await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${op}` }, body: JSON.stringify({ query: 'mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { id } }', variables: { i: { id, name: id, kind: 'BANK', jwks: JSON.stringify({ keys: [jwk] }) } } }) });
      const tokens = await mint(privateKey, id, 20 * BATCH);
      partners.push({ id, priv: privateKey, batches: Array.from({ length: 20 }, (_, b) => tokens.slice(b * BATCH, (b + 1) * BATCH)) });
    }
    const bearers = await Promise.all(partners.map((p) => assertion(p.priv, `${p.id}-1`, p.id)));
    const results: Record<string, unknown> = { overload_batch_tokens: BATCH, overload_partners: PARTNERS };

    // Sustainable rate: each partner keeps two batches in flight (closed loop): the throughput at saturation.
    log(`overload: sustainable rate, ${PARTNERS} partners publishing ${BATCH}-token batches, two at a time each, for ${SECONDS} s`);
    const base: Tally = { ok: 0, shed: 0, errors: 0, acknowledged: 0, latencies: [] };
    const baseCpu = cpuSeconds(proc.pid as number);
    const until = Date.now() + SECONDS * 1000;
    const closed = Promise.all([...partners, ...partners].map(async (p, i) => {
      for (let b = i; Date.now() < until; b += 2) await publish(port, p, bearers[i % PARTNERS], p.batches[b % p.batches.length], base);
    }));
    const baseWatch = await Promise.all([closed, watch(port, proc.pid as number, closed)]).then(([, w]) => w);
    const sustainable = base.ok / SECONDS;
    const baseCpuEnd = cpuSeconds(proc.pid as number);
    // Main-thread CPU per acknowledged token: what the worker pool takes off the event loop.
    const perToken = (cpu: number, tokens: number) => (tokens ? Math.round((cpu * 1e6) / tokens) : null);
    Object.assign(results, {
      overload_sustainable_batches_per_s: +sustainable.toFixed(2), overload_sustainable_tokens_per_s: Math.round(base.acknowledged / SECONDS), overload_sustainable_p99_ms: p99(base.latencies),
      overload_sustainable_errors: base.errors, overload_sustainable_shed: base.shed, overload_sustainable_rss_mib: baseWatch.rssMaxMiB,
      overload_sustainable_health_p99_ms: baseWatch.health.p99, overload_sustainable_health_max_ms: baseWatch.health.max,
      overload_sustainable_metrics_p99_ms: baseWatch.metrics.p99, overload_sustainable_metrics_max_ms: baseWatch.metrics.max,
      overload_sustainable_mgmt_health_p99_ms: baseWatch.mgmtHealth.p99, overload_sustainable_mgmt_health_max_ms: baseWatch.mgmtHealth.max, overload_sustainable_mgmt_health_failures: baseWatch.mgmtHealth.failures,
      overload_sustainable_mgmt_metrics_p99_ms: baseWatch.mgmtMetrics.p99, overload_sustainable_mgmt_metrics_max_ms: baseWatch.mgmtMetrics.max, overload_sustainable_mgmt_metrics_failures: baseWatch.mgmtMetrics.failures,
      overload_sustainable_loop_lag_p50_ms: baseWatch.lagP50Ms, overload_sustainable_load_avg: loadAvg(),
      overload_sustainable_main_cpu_us_per_token: perToken(baseCpuEnd.main - baseCpu.main, base.acknowledged), overload_sustainable_process_cpu_us_per_token: perToken(baseCpuEnd.all - baseCpu.all, base.acknowledged),
    });
    log(`overload: sustainable ${sustainable.toFixed(1)} batches/s (${results.overload_sustainable_tokens_per_s} tokens/s), main-thread CPU ${results.overload_sustainable_main_cpu_us_per_token} µs per token (process ${results.overload_sustainable_process_cpu_us_per_token}), p99 ${p99(base.latencies)} ms, errors ${base.errors}, shed ${base.shed}, /health p99 ${baseWatch.health.p99} ms, /metrics p99 ${baseWatch.metrics.p99} ms, management /health p99 ${baseWatch.mgmtHealth.p99} ms, /metrics p99 ${baseWatch.mgmtMetrics.p99} ms, loop lag p50 ${baseWatch.lagP50Ms} ms, load average ${loadAvg()}`);

    for (const factor of [2, 10]) {
      const rate = Math.max(1, sustainable * factor);
      const t: Tally = { ok: 0, shed: 0, errors: 0, acknowledged: 0, latencies: [] };
      const cpu0 = cpuSeconds(proc.pid as number);
      const sent: Promise<void>[] = [];
      const started = Date.now();
      const flood = (async () => {
        for (let n = 0; Date.now() - started < SECONDS * 1000; n++) {
          const p = n % PARTNERS;
          sent.push(publish(port, partners[p], bearers[p], partners[p].batches[Math.floor(n / PARTNERS) % 20], t));
          const next = started + ((n + 1) * 1000) / rate; // open loop: arrivals do not wait for answers
          await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
        }
        await Promise.all(sent);
      })();
      const w = await Promise.all([flood, watch(port, proc.pid as number, flood)]).then(([, x]) => x);
      const elapsed = (Date.now() - started) / 1000;
      const cpu1 = cpuSeconds(proc.pid as number);
      const total = t.ok + t.shed + t.errors;
      const key = `overload_${factor}x`;
      Object.assign(results, {
        [`${key}_offered_batches_per_s`]: +rate.toFixed(2),
        [`${key}_goodput_tokens_per_s`]: Math.round(t.acknowledged / elapsed),
        [`${key}_p99_ms`]: p99(t.latencies),
        [`${key}_share_503`]: +(t.shed / Math.max(1, total)).toFixed(3),
        [`${key}_errors`]: t.errors,
        [`${key}_rss_max_mib`]: w.rssMaxMiB,
        [`${key}_health_p99_ms`]: w.health.p99,
        [`${key}_health_max_ms`]: w.health.max,
        [`${key}_health_failures`]: w.health.failures,
        [`${key}_health_probes`]: w.health.count,
        [`${key}_metrics_p99_ms`]: w.metrics.p99,
        [`${key}_metrics_max_ms`]: w.metrics.max,
        [`${key}_metrics_failures`]: w.metrics.failures,
        [`${key}_mgmt_health_p99_ms`]: w.mgmtHealth.p99,
        [`${key}_mgmt_health_max_ms`]: w.mgmtHealth.max,
        [`${key}_mgmt_health_failures`]: w.mgmtHealth.failures,
        [`${key}_mgmt_metrics_p99_ms`]: w.mgmtMetrics.p99,
        [`${key}_mgmt_metrics_max_ms`]: w.mgmtMetrics.max,
        [`${key}_mgmt_metrics_failures`]: w.mgmtMetrics.failures,
        [`${key}_loop_lag_p50_ms`]: w.lagP50Ms,
        [`${key}_loop_lag_max_ms`]: w.lagMaxMs,
        [`${key}_load_avg`]: loadAvg(),
        [`${key}_main_cpu_share`]: +((cpu1.main - cpu0.main) / elapsed).toFixed(2),
      });
      log(`overload ${factor}x (${rate.toFixed(1)} batches/s offered): goodput ${results[`${key}_goodput_tokens_per_s`]} tokens/s, p99 ${p99(t.latencies)} ms, 503 ${(100 * t.shed / Math.max(1, total)).toFixed(1)} % of ${total}, errors ${t.errors}, RSS max ${w.rssMaxMiB} MiB, /health p99 ${w.health.p99} ms (max ${w.health.max}, failures ${w.health.failures} of ${w.health.count}), /metrics p99 ${w.metrics.p99} ms (max ${w.metrics.max}, failures ${w.metrics.failures}), management /health p99 ${w.mgmtHealth.p99} ms (max ${w.mgmtHealth.max}, failures ${w.mgmtHealth.failures}), /metrics p99 ${w.mgmtMetrics.p99} ms (max ${w.mgmtMetrics.max}, failures ${w.mgmtMetrics.failures}), loop lag p50 ${w.lagP50Ms} ms (max ${w.lagMaxMs}), main thread on CPU ${results[`${key}_main_cpu_share`]} of the time, load average ${loadAvg()}`);
    }
    return results;
  } finally {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
