// The real `risk-exchange` binary against a gateway on PostgreSQL: every command but publish and
// hash-subject (test/cli-publish.e2e-spec.ts), with their failures and exit codes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compactVerify, importJWK } from 'jose';
import { TestDatabase, TestGateway } from './support/app';
import { closedPort, runCli, writeJson } from './support/cli-runner';
import { signal, SUBJECT } from './support/sets';
import { makeKey, TestKey } from './support/keys';

describe('risk-exchange command line (real binary, gateway on PostgreSQL)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let dir: string;
  let op: Record<string, string>;
  let bank: Record<string, string>;
  let shopKey: TestKey;
  const cli = (args: string[], env: Record<string, string> = {}, input?: string) => runCli(args, { env, input, cwd: dir });

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db);
    dir = fs.mkdtempSync(path.join(db.dataDir, 'cli-'));
    op = { RISKX_URL: gw.url, RISKX_KEY: writeJson(path.join(dir, 'operator.jwk'), gw.operatorKey.privateJwk), RISKX_PARTNER: 'operator' };
    shopKey = await gw.registerPartner('shop-b', 'ECOMMERCE');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it('keygen makes keys of every algorithm; partner register takes the public one (refusing a private one)', async () => {
    for (const alg of ['EdDSA', 'ES256', 'PS256', 'RS256']) {
      const r = await cli(['keygen', '--kid', `k-${alg}`, '--alg', alg, '--out', `key-${alg}`, '--json']);
      expect(r.status).toBe(0);
      expect(r.json.publicJwk).toMatchObject({ kid: `k-${alg}`, alg });
      expect(r.json.publicJwk.d).toBeUndefined();
      expect(fs.statSync(path.join(dir, `key-${alg}.private.jwk`)).mode & 0o777).toBe(0o600);
    }
    const exists = await cli(['keygen', '--kid', 'again', '--out', 'key-EdDSA']);
    expect(exists.status).toBe(2);
    expect(exists.stderr).toMatch(/exists already; choose another --out/);

    const leaked = await cli(['partner', 'register', '--id', 'bank-a', '--name', 'Bank A', '--kind', 'BANK', '--public-key', 'key-EdDSA.private.jwk'], op);
    expect(leaked.status).toBe(2);
    expect(leaked.stderr).toMatch(/PRIVATE key/);
    const reg = await cli(['partner', 'register', '--id', 'bank-a', '--name', 'Bank A', '--kind', 'BANK', '--public-key', 'key-EdDSA.public.jwk', '--public-key', 'key-RS256.public.jwk', '--trust-weight', '0.8', '--json'], op);
    expect(reg.status).toBe(0);
    expect(reg.json).toMatchObject({ id: 'bank-a', kind: 'BANK', trustWeight: 0.8 });
    expect(reg.json.keys.map((k: { kid: string }) => k.kid)).toEqual(['k-EdDSA', 'k-RS256']);
    bank = { RISKX_URL: gw.url, RISKX_KEY: path.join(dir, 'key-EdDSA.private.jwk'), RISKX_PARTNER: 'bank-a' };
  });

  it('partner: list, show, add and revoke keys, suspend and reactivate; a bank is refused (exit 1) with the gateway code', async () => {
    const list = await cli(['partner', 'list'], op);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+NAME\s+KIND/);
    expect(list.stdout).toMatch(/bank-a\s+Bank A\s+BANK\s+ACTIVE\s+0\.8\s+k-EdDSA,k-RS256/);

    const denied = await cli(['partner', 'list'], bank);
    expect(denied.status).toBe(1);
    expect(denied.stderr).toMatch(/^error: the gateway refused: FORBIDDEN: /);
    expect(denied.stderr).not.toMatch(/\n\s+at /); // no stack trace

    // A partner rotates its own key with the same commands.
    expect((await cli(['partner', 'add-key', 'bank-a', '--public-key', 'key-ES256.public.jwk'], bank)).status).toBe(0);
    const revoked = await cli(['partner', 'revoke-key', 'bank-a', 'k-RS256', '--json'], op);
    expect(revoked.json.keys.find((k: { kid: string }) => k.kid === 'k-RS256').status).toBe('REVOKED');
    const rsaBank = { ...bank, RISKX_KEY: path.join(dir, 'key-RS256.private.jwk') };
    const refused = await cli(['events'], rsaBank);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/UNAUTHENTICATED: authentication failed \(key-revoked\)/);

    expect((await cli(['partner', 'suspend', 'shop-b'], op)).stdout).toMatch(/shop-b .* SUSPENDED/);
    const shop = { RISKX_URL: gw.url, RISKX_KEY: writeJson(path.join(dir, 'shop.jwk'), shopKey.privateJwk), RISKX_PARTNER: 'shop-b' };
    expect((await cli(['events'], shop)).status).toBe(1);
    expect((await cli(['partner', 'reactivate', 'shop-b'], op)).stdout).toMatch(/shop-b .* ACTIVE/);
    const show = await cli(['partner', 'show', 'bank-a', '--json'], op);
    expect(show.json.keys.map((k: { kid: string; status: string }) => `${k.kid}:${k.status}`)).toEqual(['k-EdDSA:ACTIVE', 'k-RS256:REVOKED', 'k-ES256:ACTIVE']);
    expect((await cli(['events'], shop)).status).toBe(0);
  });

  it('usage and configuration errors exit 2 and say what to do; an unreachable gateway exits 3', async () => {
    const noUrl = await cli(['events'], { ...bank, RISKX_URL: '' });
    expect(noUrl).toMatchObject({ status: 2 });
    expect(noUrl.stderr).toMatch(/give --url <gateway URL> or set RISKX_URL/);
    const missingKey = await cli(['events', '--key', 'nope.jwk'], bank);
    expect(missingKey.status).toBe(2);
    expect(missingKey.stderr).toMatch(/cannot read the key file nope.jwk \(ENOENT\)/);
    fs.writeFileSync(path.join(dir, 'garbage.jwk'), '{"d": "secret-bytes", oops');
    const garbage = await cli(['events', '--key', 'garbage.jwk'], bank);
    expect(garbage.status).toBe(2);
    expect(garbage.stderr).toMatch(/garbage.jwk is not a JSON JWK/);
    expect(garbage.stderr).not.toMatch(/secret-bytes/);
    const publicHalf = await cli(['events', '--key', 'key-EdDSA.public.jwk'], bank);
    expect(publicHalf.stderr).toMatch(/holds a public key: give the private JWK/);
    const badFlag = await cli(['events', '--limit', 'many'], bank);
    expect(badFlag.status).toBe(2);
    const unreachable = await cli(['events', '--url', `http://127.0.0.1:${await closedPort()}`], bank);
    expect(unreachable.status).toBe(3);
    expect(unreachable.stderr).toMatch(/cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): is it running/);
    expect((await cli(['events'], bank)).status).toBe(0);
  });

  it('sign builds, checks and signs every event type; a token the profile refuses is not signed (exit 1)', async () => {
    const jwk = JSON.parse(fs.readFileSync(path.join(dir, 'key-EdDSA.public.jwk'), 'utf8'));
    const signed = await cli(['sign', '--type', 'risk-signal', '--subject', SUBJECT, '--category', 'cash_out', '--score', '0.9', '--confidence', '0.8', '--reason-codes', 'burst_large_txn,new_device', '--observed-at', '2026-01-01T00:00:00Z', '--evidence', '{"n":3}', '--json'], bank);
    expect(signed.status).toBe(0);
    const { payload, protectedHeader } = await compactVerify(signed.json.token, await importJWK(jwk, 'EdDSA'));
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid: 'k-EdDSA', typ: 'secevent+jwt' });
    const claims = JSON.parse(Buffer.from(payload).toString());
    expect(claims).toMatchObject({ iss: 'bank-a', aud: 'risk-exchange', sub_id: { format: 'opaque', id: SUBJECT } });
    expect(claims.events['urn:risk-exchange:event:risk-signal']).toEqual({ category: 'cash_out', score: 0.9, confidence: 0.8, reason_codes: ['burst_large_txn', 'new_device'], observed_at: 1767225600, evidence: { n: 3 } });

    const cases: Array<[string[], RegExp]> = [
      [['--type', 'account-flag', '--action', 'freeze', '--jti', 'flag-1'], /account-flag/],
      [['--type', 'flag-lifted', '--flag-jti', 'flag-1'], /flag-lifted/],
      [['--type', 'retraction', '--retracts-jti', 'flag-1', '--reason', 'error'], /retraction/],
      [['--type', 'legal-request', '--legal-kind', 'freeze', '--legal-basis', 'art. 1', '--case-reference', 'C-1', '--authority', 'Court'], /legal-request/],
    ];
    for (const [flags, type] of cases) {
      const r = await cli(['sign', '--subject', SUBJECT, ...flags, '--json'], bank);
      expect(r.status).toBe(0);
      expect(Object.keys(r.json.claims.events)[0]).toMatch(type);
    }
    const bad = await cli(['sign', '--type', 'risk-signal', '--subject', SUBJECT, '--category', 'cash_out', '--score', '1.5'], bank);
    expect(bad).toMatchObject({ status: 1, stdout: '' });
    expect(bad.stderr).toMatch(/not signed: the gateway would refuse it \(invalid_request\): score must be a number in \[0, 1\]/);
    const shortSubject = await cli(['sign', '--type', 'account-flag', '--subject', 'abc', '--action', 'warn'], bank);
    expect(shortSubject.stderr).toMatch(/sub_id\.id must be 8\.\.256 characters/);
    fs.writeFileSync(path.join(dir, 'event.json'), JSON.stringify({ type: 'account-flag', subject: SUBJECT, action: 'warn', expires_at: '2030-01-01T00:00:00Z' }));
    const fromFile = await cli(['sign', '--file', 'event.json'], bank);
    expect(fromFile.status).toBe(0);
    expect(fromFile.stdout.trim()).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('verify explains every check, offline, against a JWKS file or URL', async () => {
    const token = await signal(await makeKey('k-x'), 'bank-a');
    const mine = await cli(['sign', '--type', 'account-flag', '--subject', SUBJECT, '--action', 'warn'], bank);
    const set = mine.stdout.trim();
    const ok = await cli(['verify', set, '--jwks', 'key-EdDSA.public.jwk']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/ok {4}signature: verifies with "k-EdDSA"/);
    expect(ok.stdout).toMatch(/ok {4}claims and event .*account-flag/);
    expect(ok.stdout.trim().split('\n').pop()).toBe('VALID event');

    const unknownKid = await cli(['verify', token, '--jwks', 'key-EdDSA.public.jwk', '--json']);
    expect(unknownKid.status).toBe(1);
    expect(unknownKid.json.checks.at(-1)).toMatchObject({ check: 'key in the JWKS', ok: false });
    const [h, p, s] = set.split('.');
    const tampered = await cli(['verify', '-', '--jwks', 'key-EdDSA.public.jwk'], {}, `${h}.${p}.${s.slice(0, -4)}AAAA\n`);
    expect(tampered.status).toBe(1);
    expect(tampered.stdout).toMatch(/FAIL {2}signature: does not verify/);
    const stale = await cli(['verify', set, '--jwks', 'key-EdDSA.public.jwk', '--now', String(Math.floor(Date.now() / 1000) + 8 * 86400)]);
    expect(stale.stdout).toMatch(/FAIL {2}claims and event .*invalid_request: iat is too old/);

    const assertion = (await cli(['token'], bank)).stdout.trim();
    const asJson = await cli(['token', '--ttl', '60', '--json'], bank);
    expect(asJson.json).toEqual({ token: expect.stringMatching(/^ey/), expiresAt: expect.any(String) });
    const a = await cli(['verify', assertion, '--jwks', 'key-EdDSA.public.jwk', '--json']);
    expect(a).toMatchObject({ status: 0, json: { valid: true, kind: 'assertion' } });
    const gatewayJwks = await cli(['verify', assertion, '--jwks', `${gw.url}/.well-known/jwks.json`]);
    expect(gatewayJwks.status).toBe(1);
    expect(gatewayJwks.stdout).toMatch(/FAIL {2}key in the JWKS: no key with kid "k-EdDSA"/);
    const noJwks = await cli(['verify', assertion, '--jwks', `http://127.0.0.1:${await closedPort()}/jwks.json`]);
    expect(noJwks.status).toBe(3);
  });

  it('score shows one subject with its rationale, many as a table; events pages through own events with filters', async () => {
    const other = 'v1:' + 'b'.repeat(43);
    fs.writeFileSync(path.join(dir, 'many.ndjson'), Array.from({ length: 130 }, (_, i) => JSON.stringify({ type: 'risk-signal', subject: i % 2 ? SUBJECT : other, jti: `many-${i}`, category: 'cash_out', score: 0.9 })).join('\n') + '\n');
    expect((await cli(['publish', 'many.ndjson', '--json'], bank)).json).toMatchObject({ accepted: 130, rejected: 0 });
    const one = await cli(['score', SUBJECT], bank);
    expect(one.status).toBe(0);
    expect(one.stdout).toMatch(/^subject {3}v1:/);
    expect(one.stdout).toMatch(/tier {6}(WARN|MONITOR|RESTRICT|FREEZE) +score 0\.\d{3}/);
    expect(one.stdout).toMatch(/why:\n {2}1\. merged score/);
    expect(one.stdout).toMatch(/signals you may see:\n {2}ISSUER +CATEGORY/);
    const many = await cli(['score', '--json'], bank, `${SUBJECT}\n{"subject":"${other}"}\n`);
    expect(many.json.map((s: { subject: string }) => s.subject)).toEqual([SUBJECT, other]);
    expect(many.json[0].rationale.length).toBeGreaterThan(0);
    expect((await cli(['score', SUBJECT, other], bank)).stdout).toMatch(/^SUBJECT +TIER +SCORE +ACTION/);
    const tooShort = await cli(['score', 'x'], bank);
    expect(tooShort.status).toBe(1);
    expect(tooShort.stderr).toMatch(/BAD_USER_INPUT/);

    const all = await cli(['events', '--limit', '500', '--json'], bank);
    expect(all.json.filter((e: { jti: string }) => e.jti.startsWith('many-'))).toHaveLength(130);
    const filtered = await cli(['events', '--subject', other, '--type', 'risk-signal', '--limit', '120', '--json'], bank);
    expect(filtered.json).toHaveLength(65);
    expect(new Set(filtered.json.map((e: { subject: string }) => e.subject))).toEqual(new Set([other]));
    expect((await cli(['events', '--limit', '3'], bank)).stdout.trim().split('\n')).toHaveLength(4);
  });

  it('grant gives, lists and revokes; a refused grant exits 1 with the gateway message', async () => {
    const given = await cli(['grant', 'give', '--to', 'shop-b', '--categories', 'cash_out,account_flag', '--purpose', 'case 14', '--days', '30', '--include-evidence', '--json'], bank);
    expect(given.status).toBe(0);
    expect(given.json).toMatchObject({ grantee: 'shop-b', categories: ['cash_out', 'account_flag'], includeEvidence: true, active: true });
    const badCategory = await cli(['grant', 'give', '--to', 'shop-b', '--categories', 'cashout', '--purpose', 'x'], bank);
    expect(badCategory.status).toBe(2);
    const self = await cli(['grant', 'give', '--to', 'bank-a', '--categories', 'cash_out', '--purpose', 'x'], bank);
    expect(self.status).toBe(1);
    expect(self.stderr).toMatch(/the gateway refused: [A-Z_]+: /);
    const shop = { RISKX_URL: gw.url, RISKX_KEY: path.join(dir, 'shop.jwk'), RISKX_PARTNER: 'shop-b' };
    expect((await cli(['grant', 'list', '--received'], shop)).stdout).toMatch(/bank-a +shop-b +cash_out,account_flag +true/);
    expect((await cli(['grant', 'list', '--all', '--json'], op)).json).toHaveLength(1);
    const revoked = await cli(['grant', 'revoke', given.json.id], bank);
    expect(revoked.stdout).toMatch(/^revoked .* \(to shop-b\)/);
    expect((await cli(['grant', 'list', '--json'], bank)).json[0].active).toBe(false);
  });

  it('--help of every command shows an example and the exit codes are listed', async () => {
    const top = await cli(['--help']);
    expect(top.stdout).toMatch(/Exit codes: 0 success, 1 refused or a failed check, 2 usage or configuration\s+error, 3 gateway unreachable/);
    const commands = ['grant', 'partner', 'audit', 'audit verify', 'keygen', 'token', 'hash-subject', 'sign', 'publish', 'score', 'events', 'verify', 'grant give', 'grant list', 'grant revoke',
      'partner register', 'partner list', 'partner show', 'partner suspend', 'partner reactivate', 'partner add-key', 'partner revoke-key',
      'legal', 'legal verify-package'];
    for (const c of commands) {
      const r = await cli([...c.split(' '), '--help']);
      expect([c, r.status]).toEqual([c, 0]);
      expect([c, /Examples:\n {2}\$ .*risk-exchange /.test(r.stdout)]).toEqual([c, true]);
    }
  });
});
