import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

// Starts the real gateway process (the built dist/, as `npm start` does) on the embedded default.
const ROOT = path.join(__dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');
const CLI = path.join(ROOT, 'bin', 'risk-exchange.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['DATABASE_URL', 'OPERATOR_JWKS', 'GATEWAY_KEY_FILE', 'METRICS_TOKEN', 'NODE_OPTIONS', 'PORT']) delete env[k];
  return { ...env, LOG_LEVEL: 'info', HOST: '127.0.0.1', ...extra };
}

interface Running {
  proc: ChildProcess;
  output: () => string;
  startupMs: number;
}

async function startGateway(dataDir: string, port: number): Promise<Running> {
  let out = '';
  const started = Date.now();
  const proc = spawn(process.execPath, [MAIN], { env: cleanEnv({ DATA_DIR: dataDir, PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const deadline = started + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`gateway exited with ${proc.exitCode}: ${out}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.status === 200) return { proc, output: () => out, startupMs: Date.now() - started };
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error(`gateway did not become healthy in 30 s: ${out}`);
}

async function stop(r: Running): Promise<void> {
  if (r.proc.exitCode !== null) return;
  const exited = new Promise((resolve) => r.proc.once('exit', resolve));
  r.proc.kill('SIGTERM');
  const timer = setTimeout(() => r.proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function gql(port: number, token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: any[] };
}

const cli = (...args: string[]) => execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: cleanEnv({}) }).trim();
const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe('smoke: the real gateway process on the embedded default', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-smoke-'));
  let port: number;
  let gw: Running | undefined;

  beforeAll(async () => {
    port = await freePort();
  });
  afterAll(async () => {
    if (gw) await stop(gw);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts on a fresh data folder, creates the operator and its key file, and serves it', async () => {
    gw = await startGateway(dataDir, port);
    process.stdout.write(`smoke: fresh start on PGlite healthy after ${gw.startupMs} ms\n`);
    const operatorFile = path.join(dataDir, 'operator.jwk');
    expect(gw.output()).toContain(`Operator private key: ${operatorFile}`);
    expect(mode(operatorFile)).toBe(0o600);
    expect(mode(path.join(dataDir, 'gateway-key.jwk'))).toBe(0o600);
    const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
    expect(health).toEqual({ status: 'ok', database: 'pglite' });

    // A person's path: make a bank key with the CLI, register it as the operator, call `me` as the bank.
    const prefix = path.join(dataDir, 'bank-a');
    expect(cli('keygen', '--kid', 'bank-a-1', '--out', prefix)).toContain('bank-a.private.jwk');
    expect(mode(`${prefix}.private.jwk`)).toBe(0o600);
    const operatorToken = cli('token', '--key', operatorFile, '--partner', 'operator');
    const jwks = JSON.stringify({ keys: [JSON.parse(fs.readFileSync(`${prefix}.public.jwk`, 'utf8'))] });
    const reg = await gql(port, operatorToken, 'mutation($j: String!) { registerPartner(input: { id: "bank-a", name: "Bank A", kind: BANK, jwks: $j }) { id } }', { j: jwks });
    expect(reg).toEqual({ data: { registerPartner: { id: 'bank-a' } } });
    const me = await gql(port, cli('token', '--key', `${prefix}.private.jwk`, '--partner', 'bank-a'), '{ me { id kind trustWeight } partners { totalCount } }');
    expect(me.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const me2 = await gql(port, cli('token', '--key', `${prefix}.private.jwk`, '--partner', 'bank-a'), '{ me { id kind trustWeight } }');
    expect(me2.data).toEqual({ me: { id: 'bank-a', kind: 'BANK', trustWeight: 0.5 } });
    const count = await gql(port, operatorToken, '{ partners { totalCount } }');
    expect(count.data.partners.totalCount).toBe(2);
  });

  it('keeps its data, its gateway key and the operator key across a restart', async () => {
    const jwksBefore = await (await fetch(`http://127.0.0.1:${port}/.well-known/jwks.json`)).json();
    const operatorBefore = fs.readFileSync(path.join(dataDir, 'operator.jwk'), 'utf8');
    await stop(gw!);
    gw = await startGateway(dataDir, port);
    process.stdout.write(`smoke: restart on PGlite healthy after ${gw.startupMs} ms\n`);
    expect(gw.output()).not.toContain('Operator private key:');
    expect(await (await fetch(`http://127.0.0.1:${port}/.well-known/jwks.json`)).json()).toEqual(jwksBefore);
    expect(fs.readFileSync(path.join(dataDir, 'operator.jwk'), 'utf8')).toBe(operatorBefore);
    const token = cli('token', '--key', path.join(dataDir, 'operator.jwk'), '--partner', 'operator');
    const res = await gql(port, token, '{ partners { totalCount edges { node { id } } } }');
    expect(res.data.partners.edges.map((e: any) => e.node.id)).toEqual(['bank-a', 'operator']);
  });

  it('refuses to start with a bad variable, naming it', () => {
    const run = (env: Record<string, string>) => {
      try {
        execFileSync(process.execPath, [MAIN], { env: cleanEnv({ DATA_DIR: dataDir, ...env }), encoding: 'utf8', stdio: 'pipe' });
        return { status: 0, stderr: '' };
      } catch (e) {
        const err = e as { status: number; stderr: string };
        return { status: err.status, stderr: err.stderr };
      }
    };
    expect(run({ PORT: 'abc' })).toEqual({ status: 2, stderr: expect.stringContaining('PORT must be an integer') });
    expect(run({ DATABASE_URL: 'mysql://x' })).toEqual({ status: 2, stderr: expect.stringContaining('DATABASE_URL') });
    expect(run({ OPERATOR_JWKS: '{"keys": 1}' })).toEqual({ status: 2, stderr: expect.stringContaining('OPERATOR_JWKS') });
  });
});
