// The real `risk-exchange` binary's `stream` and `poll` against a gateway on PostgreSQL: a stream
// made and fed from hash-subject output, a flag published with `publish` and polled verified and
// acknowledged, `--follow` with Ctrl-C, refused SETs through setErrs, and the failures' exit codes.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { Delivery } from '../src/delivery/delivery.entity';
import { TestDatabase, TestGateway } from './support/app';
import { closedPort, finished, runCli, startCli, writeJson } from './support/cli-runner';
import { makeKey, TestKey } from './support/keys';
import { waitFor } from './support/processes';

const FLAG = 'urn:risk-exchange:event:account-flag';

describe('risk-exchange stream and poll (real binary, gateway on PostgreSQL)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let dir: string;
  let bank: Record<string, string>;
  let shop: Record<string, string>;
  let publisher: Record<string, string>;
  let streamId = '';
  const keys: Record<string, TestKey> = {};
  let subjects: string[] = [];
  const linkage = { RISKX_LINKAGE_KEY: randomBytes(32).toString('base64') };
  const cli = (args: string[], env: Record<string, string>, input?: string) => runCli(args, { env, input, cwd: dir });
  const flag = (subject: string, jti: string) => JSON.stringify({ type: 'account-flag', subject, action: 'freeze', jti }) + '\n';

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0', POLL_MAX_WAIT_MS: '20000' });
    dir = fs.mkdtempSync(path.join(db.dataDir, 'cli-delivery-'));
    const env = async (id: string, kind: string) => {
      keys[id] = await gw.registerPartner(id, kind);
      return { RISKX_URL: gw.url, RISKX_KEY: writeJson(path.join(dir, `${id}.jwk`), keys[id].privateJwk), RISKX_PARTNER: id };
    };
    bank = await env('bank-a', 'BANK');
    shop = await env('shop-b', 'ECOMMERCE');
    publisher = await env('bank-p', 'BANK');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it('stream create, show, list, update, status; subjects added from hash-subject output with a summary', async () => {
    const made = await cli(['stream', 'create', '--events', 'account-flag,retraction', '--description', 'fraud desk', '--json'], bank);
    expect(made.status).toBe(0);
    streamId = made.json.stream_id;
    expect(made.json).toMatchObject({ aud: 'bank-a', description: 'fraud desk', events_delivered: [FLAG, 'urn:risk-exchange:event:retraction'], delivery: { method: 'urn:ietf:rfc:8936' } });

    const badEvent = await cli(['stream', 'create', '--events', 'account-flog'], bank);
    expect(badEvent.status).toBe(2);
    expect(badEvent.stderr).toMatch(/--events: unknown event type "account-flog": one of account-flag, /);

    const show = await cli(['stream', 'show', streamId], bank);
    expect(show.stdout).toMatch(new RegExp(`stream:\\s+${streamId}\\ndelivery:\\s+poll\\npoll at:\\s+${gw.config.issuer}/ssf/poll/${streamId}\\nevents:\\s+account-flag, retraction\\ndescription:\\s+fraud desk`));
    const updated = await cli(['stream', 'update', streamId, '--description', 'night shift', '--json'], bank);
    expect(updated.json).toMatchObject({ stream_id: streamId, description: 'night shift', events_delivered: [FLAG, 'urn:risk-exchange:event:retraction'] });
    const list = await cli(['stream', 'list'], bank);
    expect(list.stdout).toMatch(new RegExp(`^STREAM\\s+DELIVERY\\s+EVENTS\\s+DESCRIPTION\\n${streamId}\\s+poll\\s+account-flag,retraction\\s+night shift\\n$`));
    expect((await cli(['stream', 'status', streamId, '--set', 'paused', '--reason', 'maintenance'], bank)).stdout).toBe(`${streamId}: paused (maintenance)\n`);
    expect((await cli(['stream', 'status', streamId, '--set', 'enabled'], bank)).stdout).toBe(`${streamId}: enabled\n`);
    expect((await cli(['stream', 'status', streamId, '--json'], bank)).json).toEqual({ stream_id: streamId, status: 'enabled' });

    // A customer file through hash-subject (CSV, one bad row), then into the stream.
    const customers = 'ref,kind,value\nc-1,phone,+86 138 0013 8000\nc-2,email,Alice@Example.com\nc-3,card,4111 1111 1111 1111\nc-4,phone,0086-138-0013-8000\n';
    const hashed = await cli(['hash-subject'], linkage, customers);
    expect(hashed.status).toBe(0);
    subjects = hashed.stdout.trim().split('\n').slice(1).map((l) => l.split(',')[2]);
    expect(new Set(subjects).size).toBe(3); // c-4 is c-1 written differently
    const added = await cli(['stream', 'add-subjects', '--stream', streamId, '-'], bank, hashed.stdout + 'c-5,phone,short\n');
    expect(added.status).toBe(1);
    expect(added.stdout).toBe(`added 3 subject(s) to ${streamId}, 1 repeated line(s) skipped, 1 line(s) refused\n`);
    expect(added.stderr).toMatch(/^line 6: "short" is not a subject id/);
    const ndjson = await cli(['hash-subject', '--kind', 'email', '--column', 'mail'], linkage, '{"mail":"bob@example.com"}\n');
    const more = await cli(['stream', 'add-subjects', '--stream', streamId, '--json', '-'], bank, ndjson.stdout);
    expect(more.json).toEqual({ stream_id: streamId, added: 1, repeated: 0, failed: [] });
    const removed = await cli(['stream', 'remove-subjects', '--stream', streamId, JSON.parse(ndjson.stdout).subject], bank);
    expect(removed.stdout).toBe(`removed 1 subject(s) from ${streamId}\n`);
  });

  it('poll prints a published flag verified against the gateway JWKS and acknowledges it: a second poll is empty', async () => {
    const published = await cli(['publish', '--json'], publisher, flag(subjects[0], 'flag-1'));
    expect(published.json).toMatchObject({ accepted: 1 });
    const polled = await cli(['poll', '--stream', streamId], bank);
    expect(polled.status).toBe(0);
    expect(polled.stdout).toMatch(new RegExp(`^[0-9a-f-]{36}  account-flag  ${subjects[0].replace(/[+/]/g, '\\$&')}  issuer=bank-p  txn=flag-1  action=freeze\\n$`));
    expect(polled.stderr).toBe('1 notice(s) verified and acknowledged\n');
    const jti = polled.stdout.split('  ')[0];
    expect((await gw.app.get(DataSource).getRepository(Delivery).findOneByOrFail({ id: jti })).state).toBe('ACKED');
    const empty = await cli(['poll', '--stream', streamId, '--json'], bank);
    expect(empty).toMatchObject({ status: 0, stdout: '', stderr: '0 notice(s) verified and acknowledged\n' });

    // --no-ack only looks; --ack-all --json drains with NDJSON of the payloads, --max caps the count.
    await cli(['publish'], publisher, flag(subjects[1], 'flag-2') + flag(subjects[2], 'flag-3'));
    const peek = await cli(['poll', '--stream', streamId, '--no-ack', '--max', '1'], bank);
    expect(peek.stdout.trim().split('\n')).toHaveLength(1);
    const drained = await cli(['poll', '--stream', streamId, '--ack-all', '--json'], bank);
    const payloads = drained.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(payloads.map((p) => p.txn).sort()).toEqual(['flag-2', 'flag-3']);
    expect(payloads[0]).toMatchObject({ iss: gw.config.issuer, aud: 'bank-a', events: { [FLAG]: { action: 'freeze', issuer: 'bank-p' } } });
    expect((await cli(['poll', '--stream', streamId], bank)).stdout).toBe('');
  });

  it('--follow prints a verification and a notice published while it waits, and Ctrl-C stops it after acknowledging', async () => {
    const child = startCli(['poll', '--stream', streamId, '--follow'], { env: bank, cwd: dir });
    expect((await cli(['stream', 'verify', streamId, '--state', 'check-1'], bank)).status).toBe(0);
    await waitFor(() => child.out.join('').includes('verification'), 20_000, 'the verification event');
    expect(child.out.join('')).toMatch(new RegExp(`  verification  ${streamId}  state=check-1\\n`));
    await cli(['publish'], publisher, flag(subjects[0], 'flag-4'));
    await waitFor(() => child.out.join('').includes('txn=flag-4'), 20_000, 'the flag published during the long poll');
    child.kill('SIGINT');
    const done = await finished(child);
    expect(done.status).toBe(0);
    expect(done.stderr).toBe('2 notice(s) verified and acknowledged\n');
    expect(await gw.app.get(DataSource).getRepository(Delivery).countBy({ streamId, state: 'PENDING' })).toBe(0);
    expect((await cli(['poll', '--stream', streamId], bank)).stdout).toBe('');
  });

  it('a SET that fails verification is refused through setErrs (not printed) and the exit code is 1', async () => {
    const stranger = await makeKey('stranger');
    writeJson(path.join(dir, 'wrong-jwks.json'), { keys: [stranger.publicJwk] });
    await cli(['publish'], publisher, flag(subjects[1], 'flag-5'));
    const refused = await cli(['poll', '--stream', streamId, '--jwks', 'wrong-jwks.json'], bank);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^refused SET [0-9a-f-]{36}: invalid_key: no applicable key found in the JSON Web Key Set\n0 notice\(s\) verified and acknowledged; 1 refused \(setErrs\)\nerror: 1 SET\(s\) failed verification/);
    const errors = await gw.as('bank-a', keys['bank-a'], `{ notificationErrors(streamId: "${streamId}") { edges { node { err description } } } }`);
    expect(errors.data!.notificationErrors.edges.map((e: { node: { err: string } }) => e.node.err)).toEqual(['invalid_key']);
    // Refused counts as acknowledged (RFC 8936); the right JWKS then polls cleanly.
    expect(await cli(['poll', '--stream', streamId, '--jwks', `${gw.url}/.well-known/jwks.json`], bank)).toMatchObject({ status: 0, stdout: '' });
  });

  it('a foreign stream exits 1 with the gateway\'s 404; usage errors exit 2; an unreachable gateway exits 3; delete', async () => {
    const foreign = await cli(['poll', '--stream', streamId], shop);
    expect(foreign.status).toBe(1);
    expect(foreign.stderr).toMatch(/^error: the gateway refused: not_found: .*stream list` shows your streams\)\n$/);
    const foreignAdd = await cli(['stream', 'add-subjects', '--stream', streamId, subjects[0]], shop);
    expect(foreignAdd.status).toBe(1);
    expect(foreignAdd.stderr).toMatch(/not_found/);
    expect((await cli(['poll'], bank)).stderr).toMatch(/give --stream <id>/);
    expect((await cli(['poll'], bank)).status).toBe(2);
    expect((await cli(['poll', '--stream', streamId, '--max', '0'], bank)).status).toBe(2);
    const down = await cli(['poll', '--stream', streamId], { ...bank, RISKX_URL: `http://127.0.0.1:${await closedPort()}` });
    expect(down.status).toBe(3);
    expect(down.stderr).toMatch(/cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    expect((await cli(['stream', 'list', '--json'], shop)).json).toEqual([]);
    expect((await cli(['stream', 'delete', streamId], bank)).stdout).toBe(`deleted stream ${streamId}\n`);
    expect((await cli(['stream', 'show', streamId], bank)).status).toBe(1);
    expect((await cli(['stream', 'list'], bank)).stdout).toMatch(/^no streams/);
  });

  it('--help of stream, each stream command and poll shows an example', async () => {
    for (const c of ['stream', 'poll', ...['create', 'show', 'list', 'update', 'delete', 'status', 'verify', 'add-subjects', 'remove-subjects'].map((s) => `stream ${s}`)]) {
      const r = await cli([...c.split(' '), '--help'], {});
      expect([c, r.status, /Examples:\n {2}\$ .*risk-exchange /.test(r.stdout)]).toEqual([c, 0, true]);
    }
    expect((await cli(['--help'], {})).stdout).toMatch(/\n {2}stream\s.*\n {2}poll \[options\]/s);
  });
});
