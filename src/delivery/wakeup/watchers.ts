// In-process registry of who waits for notices on which stream. Pure: no Nest, no database, so the
// counting and the race rules are unit-tested alone (watchers.spec.ts).
import { AppError, ErrorCode } from '../../common/errors';

export type WakeReason = 'notice' | 'timeout' | 'aborted';

export interface WatcherLimits {
  perPartner: number;
  total: number;
}

/**
 * One waiter on one stream, registered BEFORE its owner reads the ledger: a notice that commits
 * between the read and the wait marks it, and the next `next()` returns at once instead of
 * sleeping through a notice it has not seen (the classic lost wake-up).
 */
export class StreamWatch {
  private marked = false;
  private wake: ((r: WakeReason) => void) | null = null;
  private closed = false;

  constructor(
    readonly streamId: string,
    readonly partnerId: string,
    private readonly registry: Watchers,
  ) {}

  /**
   * Resolves when a notice for the stream arrived since the previous `next()` (or since the watch
   * was opened), at `timeoutMs`, or when `signal` aborts. One timer: its own timeout.
   */
  next(timeoutMs: number, signal?: AbortSignal): Promise<WakeReason> {
    if (this.closed) return Promise.resolve('aborted');
    if (signal?.aborted) return Promise.resolve('aborted');
    if (this.marked) {
      this.marked = false;
      return Promise.resolve('notice');
    }
    return new Promise<WakeReason>((resolve) => {
      const done = (r: WakeReason) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.wake = null;
        this.marked = false;
        resolve(r);
      };
      const onAbort = () => done('aborted');
      const timer = setTimeout(() => done('timeout'), Math.max(0, timeoutMs));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.wake = done;
    });
  }

  /** Called by the registry when a notice for the stream arrives. */
  notify(): void {
    if (this.wake) this.wake('notice');
    else this.marked = true;
  }

  /** Frees the slot; a pending `next()` resolves 'aborted'. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake?.('aborted');
    this.registry.remove(this);
  }
}

/** Every open watch of this process, by stream, with the per-partner and total bounds. */
export class Watchers {
  private readonly byStream = new Map<string, Set<StreamWatch>>();
  private readonly byPartner = new Map<string, number>();
  private count = 0;

  constructor(private readonly limits: WatcherLimits) {}

  get size(): number {
    return this.count;
  }

  /** Opens a watch, or refuses (OVERLOADED, naming the bound) when the partner or the replica is full. */
  open(streamId: string, partnerId: string): StreamWatch {
    const mine = this.byPartner.get(partnerId) ?? 0;
    if (mine >= this.limits.perPartner) {
      throw new AppError(
        ErrorCode.OVERLOADED,
        `partner ${partnerId} already has ${mine} long polls and subscriptions waiting, the most allowed (DELIVERY_MAX_WAITERS_PER_PARTNER): close one, or poll with returnImmediately`,
        { retryAfter: 1 },
      );
    }
    if (this.count >= this.limits.total) {
      throw new AppError(ErrorCode.OVERLOADED, `this gateway replica already has ${this.count} long polls and subscriptions waiting (DELIVERY_MAX_WAITERS); retry in a moment`, { retryAfter: 1 });
    }
    const watch = new StreamWatch(streamId, partnerId, this);
    let set = this.byStream.get(streamId);
    if (!set) this.byStream.set(streamId, (set = new Set()));
    set.add(watch);
    this.byPartner.set(partnerId, mine + 1);
    this.count++;
    return watch;
  }

  /** A notice for this stream committed (somewhere). */
  notify(streamId: string): void {
    const set = this.byStream.get(streamId);
    if (set) for (const w of set) w.notify();
  }

  /** Notices may have been missed (the listening connection was down): every watcher looks again. */
  notifyAll(): void {
    for (const set of this.byStream.values()) for (const w of set) w.notify();
  }

  remove(watch: StreamWatch): void {
    const set = this.byStream.get(watch.streamId);
    if (!set?.delete(watch)) return;
    if (set.size === 0) this.byStream.delete(watch.streamId);
    const left = (this.byPartner.get(watch.partnerId) ?? 1) - 1;
    if (left <= 0) this.byPartner.delete(watch.partnerId);
    else this.byPartner.set(watch.partnerId, left);
    this.count--;
  }
}
