// `npm run bench`: start-up to healthy (PGlite fresh and restarted, PostgreSQL) and GraphQL
// throughput of an authenticated `me`. Results go to bench/results/latest.json.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import { benchAudit } from './audit-bench';
import { benchIngest } from './ingest-bench';
import { benchVisibility } from './sharing-bench';
import { benchScores } from './score-bench';
import { benchFlags } from './flags-bench';
import { benchOverload } from './overload-bench';
import { benchDelivery } from './delivery-bench';
import { benchPush } from './push-bench';
import { checkedLoad, report } from './checked-load';

const ROOT = path.join(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');
const PG_URL = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const DURATION = Number(process.env.BENCH_SECONDS || 10);

const log = (m: string) => process.stdout.write(`bench: ${m}\n`);

async function startGateway(env: Record<string, string>, port: number): Promise<{ proc: ChildProcess; ms: number }> {
  const started = Date.now();
  const proc = spawn(process.execPath, [MAIN], { env: { ...process.env, NODE_ENV: 'production', GATEWAY_ISSUER: 'https://gateway.bench.invalid', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), ...env }, stdio: 'ignore' });
  while (Date.now() - started < 60_000) {
    if (proc.exitCode !== null) throw new Error(`gateway exited with ${proc.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).status === 200) return { proc, ms: Date.now() - started };
    } catch {
      /* not yet */
    }
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

async function withPg<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** BENCH_ONLY=ingest,score (say) runs only those scenarios and writes bench/results/partial.json. */
const SCENARIOS = ['startup', 'me', 'ingest', 'visibility', 'score', 'flags', 'audit', 'overload', 'delivery', 'push'] as const;
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const want = (s: (typeof SCENARIOS)[number]) => ONLY.length === 0 || ONLY.includes(s);

async function main(): Promise<void> {
  if (!fs.existsSync(MAIN)) throw new Error('run `npm run build` first');
  const unknown = ONLY.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`BENCH_ONLY: unknown scenario(s) ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`);
  const results: Record<string, unknown> = { at: new Date().toISOString(), node: process.version, cpus: os.cpus().length };
  const port = 4900 + Math.floor(Math.random() * 50);

  // Start-up on PGlite: fresh folder, then a restart on the same folder.
  if (want('startup')) await benchStartup(results, port);
  if (want('me')) await benchMe(results, port);
  if (want('ingest')) {
    Object.assign(
      results,
      await benchIngest(
        async (name) => {
          await withPg((c) => c.query(`CREATE DATABASE ${name}`));
          const u = new URL(PG_URL);
          u.pathname = `/${name}`;
          return u.toString();
        },
        (name) => withPg((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
      ),
    );
  }
  if (want('visibility')) await onDatabase('vis', async (u) => Object.assign(results, await benchVisibility(u)));
  if (want('score')) await onDatabase('score', async (u) => Object.assign(results, await benchScores(u)));
  if (want('flags')) await onDatabase('flags', async (u) => Object.assign(results, await benchFlags(u)));
  if (want('audit')) await onDatabase('audit', async (u) => Object.assign(results, await benchAudit(u, Number(process.env.BENCH_AUDIT_ENTRIES || 1_000_000))));
  if (want('overload')) await onDatabase('overload', async (u) => Object.assign(results, await benchOverload(u)));
  if (want('delivery')) await onDatabase('delivery', async (u) => Object.assign(results, await benchDelivery(u)));
  if (want('push')) await onDatabase('push', async (u) => Object.assign(results, await benchPush(u)));

  const out = path.join(ROOT, 'bench', 'results', ONLY.length ? 'partial.json' : 'latest.json');
  const failedRuns = Object.entries(results).filter(([k, v]) => /_(failed|transport_errors)$/.test(k) && v !== 0).map(([k]) => k.replace(/_(failed|transport_errors)$/, ''));
  results.errors = [...new Set(failedRuns)];
  fs.writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  log(`wrote ${out}`);
  // A run with failed responses is not a measurement: say so, and exit non-zero.
  if (failedRuns.length) {
    log(`RUN HAD ERRORS in ${[...new Set(failedRuns)].join(', ')}: no throughput reported for them`);
    process.exitCode = 1;
  }
}

/** Runs a scenario on a fresh database of its own, dropped afterwards. */
async function onDatabase(name: string, fn: (url: string) => Promise<unknown>): Promise<void> {
  const db = `rx_bench_${name}_${process.pid}`;
  await withPg((c) => c.query(`CREATE DATABASE ${db}`));
  try {
    const u = new URL(PG_URL);
    u.pathname = `/${db}`;
    await fn(u.toString());
  } finally {
    await withPg((c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
  }
}

async function benchStartup(results: Record<string, unknown>, port: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-bench-'));
  let g = await startGateway({ DATA_DIR: dir, DATABASE_URL: '' }, port);
  results.startup_pglite_fresh_ms = g.ms;
  log(`start-up to healthy, PGlite, fresh data folder: ${g.ms} ms`);
  await stop(g.proc);
  g = await startGateway({ DATA_DIR: dir, DATABASE_URL: '' }, port);
  results.startup_pglite_restart_ms = g.ms;
  log(`start-up to healthy, PGlite, restart: ${g.ms} ms`);
  await stop(g.proc);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Start-up on PostgreSQL (fresh database, migrations included), then an authenticated query under load. */
async function benchMe(results: Record<string, unknown>, port: number): Promise<void> {
  let g: { proc: ChildProcess; ms: number };
  const db = `rx_bench_${process.pid}`;
  await withPg((c) => c.query(`CREATE DATABASE ${db}`));
  const url = new URL(PG_URL);
  url.pathname = `/${db}`;
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const pub = { ...(await exportJWK(publicKey)), kid: 'bench-op', alg: 'EdDSA' };
  const pgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-bench-pg-'));
  try {
    g = await startGateway({ DATA_DIR: pgDir, DATABASE_URL: url.toString(), OPERATOR_JWKS: JSON.stringify({ keys: [pub] }) }, port);
    results.startup_postgres_fresh_ms = g.ms;
    log(`start-up to healthy, PostgreSQL, fresh database: ${g.ms} ms`);
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: 'bench-op', typ: 'partner-auth+jwt' })
      .setIssuer('operator').setSubject('operator').setAudience('risk-exchange')
      .setIssuedAt(now).setExpirationTime(now + 300)
      .sign(await importJWK({ ...(await exportJWK(privateKey)), alg: 'EdDSA' }, 'EdDSA'));
    log(`autocannon: 50 connections, ${DURATION} s, authenticated { me { id } } on PostgreSQL`);
    const r = await checkedLoad({
      url: `http://127.0.0.1:${port}/graphql`,
      duration: DURATION,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: () => JSON.stringify({ query: '{ me { id } }' }),
      isOk: (d) => d.me?.id === 'operator',
    });
    Object.assign(results, report('me', r, log, 'me'));
    await stop(g.proc);
  } finally {
    await withPg((c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
    fs.rmSync(pgDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).message}\n`);
  process.exit(1);
});
