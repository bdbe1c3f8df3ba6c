import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestDatabase, usingPostgres, withClient } from './support/app';
import { jwksOf, makeKey, TestKey } from './support/keys';
import { GatewayProcess, waitFor } from './support/processes';
import { Answer, gqlAs, isEvents503, isGraphql503, PUBLISH, pushAs } from './support/process-client';
import { signal } from './support/sets';
import { TcpProxy } from './support/tcp-proxy';

// The database goes away under a running gateway (a TCP proxy in front of PostgreSQL is cut; the
// shared server itself is never stopped), and a gateway starts before its database.
(usingPostgres() ? describe : describe.skip)('database outages (processes, PostgreSQL through a proxy)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let gw: GatewayProcess;
  let operator: TestKey;
  let bank: TestKey;

  beforeAll(async () => {
    db = await TestDatabase.create();
    operator = await makeKey('operator-outage-1');
    bank = await makeKey('bank-o-1');
    const target = new URL(db.url as string);
    proxy = new TcpProxy(await TcpProxy.freePort(), { host: target.hostname, port: Number(target.port || 5432) });
  });
  afterAll(async () => {
    await gw?.kill('SIGKILL');
    await proxy?.cut();
    await db?.drop();
  });

  it('a gateway started before its database retries with backoff, saying so, and serves once it is there', async () => {
    const url = new URL(db.url as string);
    url.host = `127.0.0.1:${proxy.port}`;
    gw = GatewayProcess.spawn({
      DATABASE_URL: url.toString(),
      DATA_DIR: db.dataDir,
      OPERATOR_JWKS: jwksOf(operator),
      AUTH_CACHE_TTL_MS: '4000',
      RATE_LIMIT_COST_PER_MINUTE: 'BANK=1000000000,OPERATOR=1000000000',
    });
    await waitFor(() => gw.stdout.find((l) => /PostgreSQL \(DATABASE_URL\) is unreachable .*attempt 2, retrying in \d+ ms/.test(l)), 30_000, 'two retries in the log');
    expect(gw.proc.exitCode).toBeNull();
    await proxy.restore();
    await gw.listening();
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    const reg = await gqlAs(gw.url, 'operator', operator, 'mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { id } }', { i: { id: 'bank-o', name: 'Bank O', kind: 'BANK', jwks: jwksOf(bank) } });
    expect(reg.body.data.registerPartner.id).toBe('bank-o');
  }, 120_000);

  it('answers 503 with Retry-After in the documented shape on every surface, spools failed mutations, and loses nothing', async () => {
    // Publishers keep sending distinct tokens; whatever is not acknowledged is sent again.
    const tokens = await Promise.all(Array.from({ length: 240 }, (_, i) => signal(bank, 'bank-o', {}, { jti: `o-${i}` })));
    const acked = new Set<string>();
    const answers: Answer[] = [];
    let stop = false;
    let paused = false;
    let inFlight = 0;
    const jtiOf = (t: string) => `o-${tokens.indexOf(t)}`;
    const publisher = async (mine: string[]) => {
      while (!stop && mine.some((t) => !acked.has(jtiOf(t)))) {
        if (paused) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        const batch = mine.filter((t) => !acked.has(jtiOf(t))).slice(0, 20);
        inFlight++;
        const a = await gqlAs(gw.url, 'bank-o', bank, PUBLISH, { t: batch }).catch(() => undefined);
        inFlight--;
        if (!a) continue;
        answers.push(a);
        if (a.status === 200) {
          for (const r of a.body.data.publishEvents) {
            expect(['ACCEPTED', 'DUPLICATE']).toContain(r.status);
            acked.add(r.jti);
          }
        } else {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    const running = [0, 1, 2, 3].map((p) => publisher(tokens.filter((_, i) => i % 4 === p)));
    await waitFor(() => acked.size >= 20, 20_000, 'some acknowledged tokens');

    // A mutation that runs as the outage begins fails, and its audit entry goes to the spool. (The
    // publishers pause so that none of them notices the outage first: the gateway would then refuse
    // the mutation at the door, before it runs, which needs no audit entry.)
    paused = true;
    await waitFor(() => inFlight === 0, 20_000, 'the publishers to pause');
    const spool = path.join(db.dataDir, 'audit-spool.jsonl');
    for (let attempt = 0; attempt < 3 && !fs.existsSync(spool); attempt++) {
      await waitFor(async () => (await fetch(`${gw.url}/health`)).status === 200, 20_000, '/health 200');
      await gqlAs(gw.url, 'operator', operator, '{ me { id } }'); // the operator's keys are now cached for 4 s
      await proxy.cut();
      const failed = await gqlAs(gw.url, 'operator', operator, 'mutation { suspendPartner(id: "bank-o") { id } }');
      expect(isGraphql503(failed, 'DATABASE_UNAVAILABLE')).toBe(true);
      if (!fs.existsSync(spool)) await proxy.restore(); // refused at the door this time: again
    }
    expect(fs.readFileSync(spool, 'utf8')).toContain('"action":"partner.suspend"');
    paused = false;

    // Every surface, in its documented shape.
    const graphql = await waitFor(async () => {
      const a = await gqlAs(gw.url, 'bank-o', bank, PUBLISH, { t: [tokens[0]] });
      return isGraphql503(a, 'DATABASE_UNAVAILABLE') ? a : undefined;
    }, 10_000, 'GraphQL 503');
    expect(graphql.body.errors[0].message).toMatch(/database is unavailable: retry after \d+ s/);
    const pushed = await pushAs(gw.url, 'bank-o', bank, tokens[1]);
    expect(isEvents503(pushed)).toBe(true);
    const health = await waitFor(async () => {
      const r = await fetch(`${gw.url}/health`);
      return r.status === 503 ? r : undefined;
    }, 10_000, '/health 503');
    expect(Number(health.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await health.json()).toMatchObject({ status: 'unavailable', database: 'postgres' });
    expect((await fetch(`${gw.url}/.well-known/jwks.json`)).status).toBe(200); // needs no database
    await new Promise((r) => setTimeout(r, 1500)); // the publishers meet the outage too

    await proxy.restore();
    await waitFor(async () => (await fetch(`${gw.url}/health`)).status === 200, 20_000, '/health 200 again');
    await waitFor(() => acked.size === tokens.length, 60_000, 'every token acknowledged');
    stop = true;
    await Promise.all(running);

    // Every answer during the run was a success or the documented 503, never a 500.
    expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
    expect(answers.filter((a) => a.status === 503).every((a) => isGraphql503(a, 'DATABASE_UNAVAILABLE'))).toBe(true);

    // Nothing lost, nothing twice; the spooled audit entry is in the chain, which verifies.
    await withClient(db.url as string, async (c) => {
      const { rows } = await c.query(`SELECT jti FROM event WHERE issuer = 'bank-o'`);
      expect(rows.map((r) => r.jti).sort()).toEqual(tokens.map((_, i) => `o-${i}`).sort());
      const spooled = await waitFor(async () => {
        const r = await c.query(`SELECT details FROM audit_log WHERE action = 'partner.suspend' AND details->>'spooled' = 'true'`);
        return r.rows[0];
      }, 10_000, 'the spooled audit entry');
      expect(spooled.details).toMatchObject({ outcome: 'error', code: 'DATABASE_UNAVAILABLE', spooled: true, occurredAt: expect.any(String) });
    });
    expect(fs.existsSync(spool)).toBe(false);
    const verified = await gqlAs(gw.url, 'operator', operator, '{ verifyAudit { ok firstBadSeq } }');
    expect(verified.body.data.verifyAudit).toEqual({ ok: true, firstBadSeq: null });
    // And the bank was never suspended: the mutation failed as it said.
    const me = await gqlAs(gw.url, 'bank-o', bank, '{ me { status } }');
    expect(me.body.data.me.status).toBe('ACTIVE');
  }, 180_000);
});
