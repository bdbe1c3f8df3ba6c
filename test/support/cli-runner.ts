import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export const CLI = path.join(__dirname, '..', '..', 'bin', 'risk-exchange.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

/**
 * Runs the real binary (bin/risk-exchange.js on dist/) in a child process, asynchronously: an
 * in-process test gateway shares this event loop and must keep answering meanwhile.
 */
export function runCli(args: string[], o: { env?: Record<string, string | undefined>; input?: string; cwd?: string } = {}): Promise<CliResult> {
  const child = startCli(args, o);
  return finished(child);
}

export function startCli(args: string[], o: { env?: Record<string, string | undefined>; input?: string; cwd?: string } = {}): ChildProcess & { out: string[]; err: string[] } {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  for (const [k, v] of Object.entries(o.env ?? {})) if (v !== undefined) env[k] = v;
  const child = spawn(process.execPath, [CLI, ...args], { env, cwd: o.cwd, stdio: ['pipe', 'pipe', 'pipe'] }) as ChildProcess & { out: string[]; err: string[] };
  child.out = [];
  child.err = [];
  child.stdout!.on('data', (c: Buffer) => child.out.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => child.err.push(c.toString()));
  child.stdin!.end(o.input ?? '');
  return child;
}

export function finished(child: ChildProcess & { out: string[]; err: string[] }): Promise<CliResult> {
  return new Promise((resolve) => {
    child.on('close', (status) => {
      const stdout = child.out.join('');
      let json: unknown = null;
      try {
        json = JSON.parse(stdout);
      } catch {
        /* not JSON output */
      }
      resolve({ status, stdout, stderr: child.err.join(''), json });
    });
  });
}

/** A port nothing listens on (it was free a moment ago). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export function writeJson(file: string, value: unknown): string {
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}
