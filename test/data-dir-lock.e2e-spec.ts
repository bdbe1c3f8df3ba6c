import { execFile } from 'node:child_process';
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

    // `npm run migration:run` takes the same lock: refused while a gateway holds it, naming the holder.
    const refused = await migrationRun(dataDir);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain(`is in use by another gateway: pid ${third.pid} on host ${os.hostname()}`);
    expect((await me(third)).body.data?.me?.id).toBe('operator');

    // A clean stop releases the lock.
    await third.kill('SIGTERM');
    expect(fs.existsSync(path.join(dataDir, 'gateway.lock'))).toBe(false);

    // With no gateway running, the migration run opens the database, and releases the lock on exit.
    const ran = await migrationRun(dataDir);
    expect([ran.code, ran.output]).toEqual([0, expect.stringContaining('No migrations are pending')]);
    expect(fs.existsSync(path.join(dataDir, 'gateway.lock'))).toBe(false);
  }, 360_000);
});

/** `typeorm migration:run` on the built CLI data source (what `npm run migration:run` runs after its build), on the embedded default. */
function migrationRun(dataDir: string): Promise<{ code: number; output: string }> {
  const root = path.join(__dirname, '..');
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      [path.join(root, 'node_modules', 'typeorm', 'cli.js'), 'migration:run', '-d', path.join(root, 'dist', 'src', 'database', 'cli-data-source.js')],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir }, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) || 1 : 0, output: `${stdout}\n${stderr}` }),
    ),
  );
}
