// riskScore read scenario: 50 concurrent clients over subjects with 20 signals each, next to a
// trivial GraphQL query on the same server in the same run.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { assertion, keyPair } from './bench-keys';
import { checkedLoad, report } from './checked-load';

const log = (m: string) => process.stdout.write(`bench: ${m}\n`);
const ROOT = path.join(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

async function gql(port: number, token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

export async function benchScores(databaseUrl: string): Promise<Record<string, number | string>> {
  const port = 4970;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-bench-score-'));
  const op = await keyPair('op');
  const env = { ...process.env, NODE_ENV: 'production', GATEWAY_ISSUER: 'https://gateway.bench.invalid', DATABASE_URL: databaseUrl, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', AUDIT_CHECKPOINT_SECONDS: '0', OPERATOR_JWKS: JSON.stringify({ keys: [op.pub] }), RATE_LIMIT_COST_PER_MINUTE: 'BANK=1000000000,ECOMMERCE=1000000000,OPERATOR=1000000000' };
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const proc: ChildProcess = spawn(process.execPath, [...prof, MAIN], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    for (let i = 0; i < 600; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break;
      } catch {
        /* not yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const opToken = await assertion(op, 'operator');
    const issuers = await Promise.all(['bank-1', 'bank-2', 'shop-3', 'shop-4'].map(async (id) => ({ id, key: await keyPair(`${id}-k`) })));
    for (const i of issuers) {
      await gql(port, opToken, 'mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { id } }', { i: { id: i.id, name: i.id, kind: i.id.startsWith('bank') ? 'BANK' : 'ECOMMERCE', jwks: JSON.stringify({ keys: [i.key.pub] }) } });
    }
    const viewer = { id: 'viewer-bank', key: await keyPair('viewer-k') };
    await gql(port, opToken, 'mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { id } }', { i: { id: viewer.id, name: 'viewer', kind: 'BANK', jwks: JSON.stringify({ keys: [viewer.key.pub] }) } });
    const subjects = Array.from({ length: 200 }, (_, i) => `v1:bench-score-subject-${i}`);
    const categories = ['cash_out', 'credit_arbitrage', 'merchant_collusion', 'high_velocity', 'money_mule'];
    const now = Math.floor(Date.now() / 1000);
    for (const issuer of issuers) {
      const tokens: string[] = [];
      for (const subject of subjects) {
        for (const [ci, category] of categories.entries()) {
          tokens.push(
            await new SignJWT({
              iss: issuer.id, aud: 'risk-exchange', iat: now, jti: randomUUID(), sub_id: { format: 'opaque', id: subject },
              events: { 'urn:risk-exchange:event:risk-signal': { category, score: 0.2 + 0.1 * ci, confidence: 0.9, distribution: ci % 2 ? 'consortium' : 'issuer_only', reason_codes: ['r1'] } },
            }).setProtectedHeader({ alg: 'EdDSA', kid: issuer.key.kid, typ: 'secevent+jwt' }).sign(issuer.key.priv),
          );
        }
      }
      const token = await assertion(issuer.key, issuer.id);
      for (let i = 0; i < tokens.length; i += 100) {
        const published = await gql(port, token, 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status description } }', { t: tokens.slice(i, i + 100) });
        const refused = published.publishEvents.filter((r: { status: string }) => r.status !== 'ACCEPTED');
        if (refused.length) throw new Error(`seeding: ${refused.length} tokens not accepted: ${JSON.stringify(refused[0])}`);
      }
    }
    log(`seeded ${subjects.length} subjects with 20 signals each (4 issuers × 5 categories)`);
    // Planner statistics, as a database in steady use has them (autovacuum would take a minute).
    const { Client } = await import('pg');
    const admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query('ANALYZE');
    await admin.end();
    const viewerToken = await assertion(viewer.key, viewer.id);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${viewerToken}` };
    const run = (body: () => string, isOk: (d: any) => boolean, duration = Number(process.env.BENCH_SECONDS || 10)) =>
      checkedLoad({ url: `http://127.0.0.1:${port}/graphql`, duration, headers, body, isOk });
    // Each measured run follows a 2 s warm-up of the same query (JIT, graphql-jit compilation,
    // pooled connections, prepared statements): the figures are the steady state.
    const trivialBody = () => JSON.stringify({ query: '{ __typename }' });
    const trivialOk = (d: any) => d.__typename === 'Query';
    await run(trivialBody, trivialOk, 2);
    const trivial = await run(trivialBody, trivialOk);
    let n = 0;
    const scoreBody = () => JSON.stringify({ query: 'query($s: String!) { riskScore(subject: $s) { score tier corroboratingPartners contributions { issuer category strength } withheld { count combinedStrength } } }', variables: { s: subjects[n++ % subjects.length] } });
    // Every seeded subject has signals (some visible to the viewer): a score of 0 means the read went wrong.
    const scoreOk = (d: any) => typeof d.riskScore?.score === 'number' && d.riskScore.score > 0;
    await run(scoreBody, scoreOk, 2);
    const scores = await run(scoreBody, scoreOk);
    const results = {
      ...report('trivial', trivial, log, 'trivial { __typename }'),
      ...report('risk_score', scores, log, 'riskScore (20 signals, audited; target >= 2,500 req/s, p99 < 25 ms)'),
    };
    return results;
  } finally {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
