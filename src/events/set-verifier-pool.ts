// Signature verification of published events on worker threads (README "Architecture": why).
// No Nest or TypeORM import: events/set-verifier.provider.ts wraps it for the app.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { VerifyRequest, VerifyResponse } from './set-verify.worker';
import { verifySet, type SetContext, type SetVerdict } from './set-verifier';

/**
 * Most tokens per message to a worker. A batch is cut into one slice per worker (so every worker
 * takes part), each at most this long: a slice's answer is one task on the main thread, about a
 * millisecond for 100 verdicts, and fewer messages mean fewer thread hand-overs per batch.
 */
export const SLICE_TOKENS = 100;

interface Pending {
  resolve(verdicts: SetVerdict[]): void;
  reject(e: Error): void;
  tokens: number;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Tokens sent and not yet answered: a slice goes to the slot with the fewest. */
  load: number;
}

/**
 * The compiled worker beside this file; under ts-jest/swc (this file is .ts) the TypeScript
 * source, loaded through ts-node's transpiler, so the specs run the very same code.
 */
function workerEntry(): { file: string; execArgv: string[] } {
  if (__filename.endsWith('.js')) return { file: path.join(__dirname, 'set-verify.worker.js'), execArgv: [] };
  const file = path.join(__dirname, 'set-verify.worker.ts');
  if (!fs.existsSync(file)) throw new Error(`set-verifier-pool: worker source ${file} is missing`);
  return { file, execArgv: ['--require', 'ts-node/register/transpile-only'] };
}

/**
 * A fixed pool of worker threads that run `verifySet` on slices of a batch. The verdicts come back
 * in the tokens' order and are the ones `verifySet` gives on the main thread (same function, same
 * context; keys are imported once per worker). Size 0 verifies on the calling thread.
 */
export class SetVerifierPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    readonly size: number,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  async verifyAll(tokens: readonly unknown[], ctx: Omit<SetContext, 'importKey'>, importKey?: SetContext['importKey']): Promise<SetVerdict[]> {
    if (this.size === 0 || tokens.length === 0) return Promise.all(tokens.map((t) => verifySet(t, { ...ctx, importKey })));
    if (this.closed) throw new Error('set-verifier-pool: closed');
    // Started on first use: a gateway (or a test) that never receives a batch starts no thread.
    while (this.slots.length < this.size) this.slots.push(this.spawn());
    // Only what verifySet reads crosses to the workers (cached key rows may carry more).
    const keys = ctx.partner.keys.map(({ kid, alg, status, jwk }) => ({ kid, alg, status, jwk }));
    const wire = { ...ctx, partner: { ...ctx.partner, keys } };
    const slices: Promise<SetVerdict[]>[] = [];
    const slice = Math.min(SLICE_TOKENS, Math.ceil(tokens.length / this.size));
    for (let i = 0; i < tokens.length; i += slice) slices.push(this.send(tokens.slice(i, i + slice), wire));
    return (await Promise.all(slices)).flat();
  }

  private send(tokens: unknown[], ctx: Omit<SetContext, 'importKey'>): Promise<SetVerdict[]> {
    const slot = this.slots.reduce((a, b) => (b.load < a.load ? b : a));
    const id = this.nextId++;
    slot.load += tokens.length;
    return new Promise<SetVerdict[]>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject, tokens: tokens.length });
      slot.worker.postMessage({ id, tokens, ctx } satisfies VerifyRequest);
    });
  }

  private spawn(): Slot {
    const { file, execArgv } = workerEntry();
    const slot: Slot = { worker: new Worker(file, { execArgv }), pending: new Map(), load: 0 };
    slot.worker.unref(); // an idle pool never keeps the process alive
    slot.worker.on('message', (m: VerifyResponse) => {
      const job = slot.pending.get(m.id);
      if (!job) return;
      slot.pending.delete(m.id);
      slot.load -= job.tokens;
      if ('error' in m) job.reject(new Error(`token verification failed: ${m.error}`));
      else job.resolve(m.verdicts);
    });
    // A worker that dies fails its slices (their requests answer 500, nothing was stored) and is replaced.
    const fail = (e: Error) => {
      for (const job of slot.pending.values()) job.reject(e);
      slot.pending.clear();
      slot.load = 0;
      if (this.closed) return;
      this.log(`a token verification worker stopped (${e.message}); starting another`);
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots[i] = this.spawn();
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => fail(new Error(`worker exited with code ${code}`)));
    return slot;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
