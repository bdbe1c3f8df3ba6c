// The real `risk-exchange` binary: hash-subject against an independent HMAC, and publish against a
// gateway on PostgreSQL, including a publish killed mid-run that resumes without publishing twice.
import { createHmac, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { TestDatabase, TestGateway } from './support/app';
import { closedPort, finished, runCli, startCli, writeJson } from './support/cli-runner';
import { waitFor } from './support/processes';
import { signal, SUBJECT } from './support/sets';
import { TestKey } from './support/keys';

const linkageKey = randomBytes(32);
/** The documented id, computed here without the CLI: v1: + base64url(HMAC-SHA256(key, kind ":" normalized)). */
const documentedId = (kind: string, normalized: string) => 'v1:' + createHmac('sha256', linkageKey).update(`${kind}:${normalized}`).digest('base64url');

describe('risk-exchange hash-subject (real binary)', () => {
  const env = { RISKX_LINKAGE_KEY: linkageKey.toString('base64') };
  const hash = (args: string[], input?: string, e: Record<string, string> = env) => runCli(['hash-subject', ...args], { env: e, input });

  it.each([
    ['phone', ['+86 138 0013 8000', '0086-138-0013-8000', '(0086) 138.0013.8000', '13800138000'], '+8613800138000'],
    ['national_id', ['11010519491231002x', '110105-19491231-002X', ' 110105 19491231 002x '], '11010519491231002X'],
    ['card', ['4111 1111 1111 1111', '4111-1111-1111-1111', '4111111111111111'], '4111111111111111'],
    ['email', ['Alice.Smith@Example.COM', '  alice.smith@example.com '], 'alice.smith@example.com'],
  ])('%s: every spelling of one identifier gives the documented HMAC id', async (kind, spellings, normalized) => {
    const r = await hash(['--kind', kind, '--phone-country', '86', '--json', ...spellings]);
    expect(r.status).toBe(0);
    const expected = documentedId(kind, normalized);
    expect(r.json).toEqual(spellings.map(() => ({ kind, normalized, subject: expected })));
    expect((await hash(['--kind', kind, '--phone-country', '86', spellings[0]])).stdout).toBe(expected + '\n');
  });

  it('reads the key from a file too, and bulk CSV and NDJSON from stdin, without echoing the identifier', async () => {
    const file = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'rx-hash-')), 'linkage.key');
    fs.writeFileSync(file, linkageKey.toString('base64url') + '\n');
    const csv = 'ref,kind,mobile\nc-1,phone,+86 138 0013 8000\nc-2,email,"Bob@Example.com"\nc-3,card,4111 1111 1111 1111\n';
    const r = await runCli(['hash-subject', '--linkage-key-file', file, '--column', 'mobile'], { input: csv });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`ref,kind,subject\nc-1,phone,${documentedId('phone', '+8613800138000')}\nc-2,email,${documentedId('email', 'bob@example.com')}\nc-3,card,${documentedId('card', '4111111111111111')}\n`);
    const nd = await hash(['--kind', 'phone', '--phone-country', '44'], '{"value":"020 7946 0018","ref":1}\n{"value":"4111","ref":2}\n{"value":"+44 20 7946 0018","ref":3}\n');
    expect(nd.status).toBe(1);
    expect(nd.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { ref: 1, subject: documentedId('phone', '+442079460018') },
      { ref: 3, subject: documentedId('phone', '+442079460018') },
    ]);
    expect(nd.stderr).toMatch(/line 2: a phone number in E\.164/);
    expect(nd.stderr).toMatch(/1 row\(s\) could not be hashed/);
  });

  it('refuses a missing or short key (exit 2) and a bad identifier (exit 2), then hashes', async () => {
    const none = await hash(['--kind', 'email', 'a@example.com'], undefined, {});
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/give --linkage-key-file <file> or set RISKX_LINKAGE_KEY/);
    const short = await hash(['--kind', 'email', 'a@example.com'], undefined, { RISKX_LINKAGE_KEY: randomBytes(16).toString('base64') });
    expect(short.stderr).toMatch(/16 bytes; it must be at least 32 \(openssl rand -base64 32\)/);
    const luhn = await hash(['--kind', 'card', '4111 1111 1111 1112']);
    expect(luhn.status).toBe(2);
    expect(luhn.stderr).toMatch(/Luhn check digit/);
    expect(luhn.stderr).not.toMatch(/4111 1111 1111 1112/);
    expect((await hash(['--kind', 'email', 'a@example.com'])).stdout.trim()).toBe(documentedId('email', 'a@example.com'));
  });
});

describe('risk-exchange publish (real binary, gateway on PostgreSQL)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let dir: string;
  let key: TestKey;
  let bank: Record<string, string>;
  const cli = (args: string[], input?: string, env = bank) => runCli(args, { env, input, cwd: dir });
  const storedJtis = async (prefix: string) =>
    (await gw.app.get(DataSource).query(`SELECT jti FROM event WHERE issuer = 'bank-a' AND jti LIKE $1`, [`${prefix}%`])).map((r: { jti: string }) => r.jti) as string[];
  const writeEvents = (file: string, prefix: string, n: number) =>
    fs.writeFileSync(path.join(dir, file), Array.from({ length: n }, (_, i) => JSON.stringify({ type: 'risk-signal', subject: `v1:subject-${i % 97}-padding`, jti: `${prefix}${i}`, category: 'high_velocity', score: 0.5 })).join('\n') + '\n');

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db);
    dir = fs.mkdtempSync(path.join(db.dataDir, 'publish-'));
    key = await gw.registerPartner('bank-a', 'BANK');
    bank = { RISKX_URL: gw.url, RISKX_KEY: writeJson(path.join(dir, 'bank-a.jwk'), key.privateJwk), RISKX_PARTNER: 'bank-a' };
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it('publishes tokens and unsigned events, reports ACCEPTED/DUPLICATE/REJECTED with reasons, and a rerun publishes nothing', async () => {
    const token = await signal(key, 'bank-a', {}, { jti: 'tok-1' });
    const lines = [
      token,
      JSON.stringify({ type: 'account-flag', subject: SUBJECT, action: 'freeze', jti: 'ev-flag' }),
      '',
      JSON.stringify({ type: 'risk-signal', subject: SUBJECT, category: 'cash_out', score: 2 }),
      await signal(key, 'bank-a', {}, { jti: 'tok-other-iss', iss: 'bank-z' }),
      'not a token',
      JSON.stringify({ type: 'risk-signal', subject: SUBJECT, category: 'money_mule', score: 0.4 }), // no jti: derived from content
    ];
    fs.writeFileSync(path.join(dir, 'mixed.ndjson'), lines.join('\n') + '\n');
    const first = await cli(['publish', 'mixed.ndjson', '--batch', '2']);
    expect(first.status).toBe(1);
    expect(first.stdout).toMatch(/ACCEPTED +3\n +DUPLICATE +0\n +REJECTED +3/);
    // Signed on the way and refused by the gateway's verifier, with its reason.
    expect(first.stdout).toMatch(/mixed\.ndjson:4 \(jti cx-[\w-]+\): invalid_request: score must be a number in \[0, 1\]/);
    expect(first.stdout).toMatch(/mixed\.ndjson:5 \(jti tok-other-iss\): invalid_issuer: iss must be the authenticated partner "bank-a"/);
    expect(first.stdout).toMatch(/mixed\.ndjson:6: invalid_request: the line is neither a compact SET nor a JSON event/);
    expect((await storedJtis('')).sort()).toEqual(expect.arrayContaining(['tok-1', 'ev-flag']));

    const again = await cli(['publish', 'mixed.ndjson', '--json']);
    expect(again.json).toMatchObject({ accepted: 0, duplicate: 0, rejected: 0, skipped: { lines: 6, accepted: 3, rejected: 3 } });
    // Without the journal the gateway's own duplicate detection still stores nothing twice,
    // the content-derived jti included.
    const restart = await cli(['publish', 'mixed.ndjson', '--restart', '--check', '--json']);
    expect(restart.json).toMatchObject({ accepted: 0, duplicate: 3, rejected: 3 });
    // --check refuses it here, before it is signed, with the same words.
    expect(restart.json.rejections[0]).toMatchObject({ line: 4, code: 'invalid_request', description: 'not signed: score must be a number in [0, 1]' });
    const viaStdin = await cli(['publish', '--json'], lines[1] + '\n');
    expect(viaStdin).toMatchObject({ status: 0, json: { duplicate: 1 } });
    expect(viaStdin.stderr).toMatch(/stdin without --journal/);
  });

  it('a publish killed mid-run resumes from its journal: every event stored once, none published twice', async () => {
    const n = 3000;
    writeEvents('big.ndjson', 'big-', n);
    const journal = path.join(dir, 'big.ndjson.riskx-journal');
    const child = startCli(['publish', 'big.ndjson', '--batch', '100', '--concurrency', '1'], { env: bank, cwd: dir });
    const settledBatches = () => (fs.existsSync(journal) ? fs.readFileSync(journal, 'utf8').split('\n').filter((l) => l.startsWith('{"from"')).length : 0);
    await waitFor(() => settledBatches() >= 3, 120_000, 'three batches in the journal');
    child.kill('SIGKILL');
    const killed = await finished(child);
    expect(killed.status).toBeNull(); // it died, it did not finish
    expect((await storedJtis('big-')).length).toBeLessThan(n);
    const journaled = fs.readFileSync(journal, 'utf8').split('\n').filter((l) => l.startsWith('{"from"')).map((l) => JSON.parse(l));
    const settledLines = journaled.reduce((s, r) => s + (r.to - r.from + 1), 0);

    const resumed = await cli(['publish', 'big.ndjson', '--batch', '100', '--concurrency', '1', '--json']);
    expect(resumed.status).toBe(0);
    expect(resumed.json.skipped.lines).toBe(settledLines);
    // Only the batch that was in flight at the kill may have been stored already: DUPLICATE, at most one batch.
    expect(resumed.json.duplicate).toBeLessThanOrEqual(100);
    expect(resumed.json.accepted + resumed.json.duplicate).toBe(n - settledLines);
    const after = await storedJtis('big-');
    expect(after).toHaveLength(n);
    expect(new Set(after).size).toBe(n);
    // Each line was accepted once: by the killed run (journaled, or in flight and answered DUPLICATE now) or by the resumed one.
    expect(journaled.reduce((s, r) => s + r.accepted, 0) + resumed.json.accepted + resumed.json.duplicate).toBe(n);
  });

  it('notices a changed input instead of skipping it, and an unreachable gateway leaves a resumable journal (exit 3)', async () => {
    writeEvents('small.ndjson', 'small-', 10);
    const down = await cli(['publish', 'small.ndjson'], undefined, { ...bank, RISKX_URL: `http://127.0.0.1:${await closedPort()}` });
    expect(down.status).toBe(3);
    expect(down.stderr).toMatch(/publish stopped: cannot reach the gateway .*run the same command again to publish the rest/s);
    expect((await cli(['publish', 'small.ndjson', '--json'])).json).toMatchObject({ accepted: 10 });
    writeEvents('small.ndjson', 'changed-', 10);
    const changed = await cli(['publish', 'small.ndjson']);
    expect(changed.status).toBe(2);
    expect(changed.stderr).toMatch(/small\.ndjson changed since lines 1\.\.10 were published .*--restart/);
    expect((await cli(['publish', 'small.ndjson', '--restart', '--json'])).json).toMatchObject({ accepted: 10, rejected: 0 });
  });
});
