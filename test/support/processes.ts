import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const MAIN_JS = path.join(__dirname, '..', '..', 'dist', 'src', 'main.js');

/** A gateway in a process of its own (`node dist/src/main.js`), for tests of crashes, locks and outages. */
export class GatewayProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  url = '';

  private constructor(readonly proc: ChildProcess) {
    const lines = (sink: string[]) => {
      let rest = '';
      return (chunk: Buffer) => {
        const parts = (rest + chunk.toString()).split('\n');
        rest = parts.pop() ?? '';
        sink.push(...parts);
      };
    };
    proc.stdout?.on('data', lines(this.stdout));
    proc.stderr?.on('data', lines(this.stderr));
    this.exited = new Promise((resolve) => proc.once('close', (code) => resolve(code)));
  }

  get pid(): number {
    return this.proc.pid as number;
  }

  /** Starts `node dist/src/main.js` with `env` (on top of PATH and HOME only); `npm run build` must have run. */
  static spawn(env: Record<string, string>): GatewayProcess {
    if (!fs.existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run npm run build first`);
    const proc = spawn(process.execPath, [MAIN_JS], {
      // Lag shedding is off unless a spec turns it on: a gateway's event-loop lag on a CI machine
      // shared with other jobs says more about them than about the gateway, and an OVERLOADED answer
      // would fail specs that test something else. test/overload.e2e-spec.ts turns it on.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new GatewayProcess(proc);
  }

  /** Resolves once it listens (and records its URL); rejects if it exits first. */
  async listening(timeoutMs = 150_000): Promise<this> {
    const port = await Promise.race([
      waitFor(() => this.stdout.map((l) => /"port":(\d+).*listening/.exec(l)?.[1]).find(Boolean), timeoutMs, 'the gateway to listen'),
      this.exited.then((code) => {
        throw new Error(`the gateway exited with ${code} before listening: ${this.stderr.join('\n')} ${this.stdout.slice(-5).join('\n')}`);
      }),
    ]);
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exited;
  }

  /** Resident memory of the process, from /proc (Linux), in MiB. */
  rssMiB(): number {
    const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
  }
}

/** Polls `probe` every 50 ms until it returns something truthy. */
export async function waitFor<T>(probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
