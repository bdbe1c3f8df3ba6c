import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GatewayProcess } from './support/processes';
import { assertion, jwksOf, makeKey, TestKey } from './support/keys';

// Real processes on the embedded default, whatever database the other specs use.
describe('one gateway per embedded DATA_DIR (processes)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-lock-e2e-'));
  const running: GatewayProcess[] = [];
  let operator: TestKey;
  const env = () => ({ DATA_DIR: dataDir, OPERATOR_JWKS: jwksOf(operator) });
  const start = (): GatewayProcess => {
    const gw = GatewayProcess.spawn(env());
    running.push(gw);
    return gw;
  };
  const me = async (gw: GatewayProcess) => {
    const res = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await assertion(operator, 'operator')}` },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    return { status: res.status, body: (await res.json()) as { data?: { me?: { id: string } } } };
  };

  beforeAll(async () => {
    operator = await makeKey('operator-lock-1');
  });
  afterAll(async () => {
    await Promise.all(running.map((gw) => gw.kill('SIGKILL')));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a second gateway naming the holder, keeps the first serving, and lets a new one start after kill -9', async () => {
    const first = await start().listening();
    expect((await me(first)).body.data?.me?.id).toBe('operator');

    const second = start();
    expect(await second.exited).toBe(1);
    const message = second.stderr.join('\n');
    expect(message).toContain(`is in use by another gateway: pid ${first.pid} on host ${os.hostname()}, started 20`);
    expect(message).toContain(path.join(dataDir, 'gateway.lock'));

    // The first is untouched and still serves reads and writes.
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
    expect((await me(first)).body.data?.me?.id).toBe('operator');

    // kill -9 leaves the lock file behind; it must not block the restart.
    await first.kill('SIGKILL');
    expect(fs.existsSync(path.join(dataDir, 'gateway.lock'))).toBe(true);
    const third = await start().listening();
    expect(third.stdout.join('\n')).toContain(`removed a stale lock on ${dataDir} (process ${first.pid} is gone`);
    expect((await me(third)).body.data?.me?.id).toBe('operator'); // same data, after the crash

    // A clean stop releases the lock.
    await third.kill('SIGTERM');
    expect(fs.existsSync(path.join(dataDir, 'gateway.lock'))).toBe(false);
  }, 360_000);
});
