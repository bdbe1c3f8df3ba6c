import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Event-loop lag and heap, sampled every 500 ms. While either is over its limit, new work is shed:
 * a lagging loop means queued work already exceeds what the process can serve in time.
 */
export class PressureMonitor {
  private readonly histogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly timer: NodeJS.Timeout;
  private current: string | undefined;
  lastLagMs = 0;

  constructor(private readonly limits: { maxEventLoopDelayMs: number; maxHeapMb: number }) {
    this.histogram.enable();
    this.timer = setInterval(() => this.sample(), 500);
    this.timer.unref();
  }

  /** Why the process is under pressure now, or undefined. */
  get reason(): string | undefined {
    return this.current;
  }

  private sample(): void {
    this.lastLagMs = this.histogram.max / 1e6;
    this.histogram.reset();
    const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
    if (this.limits.maxEventLoopDelayMs > 0 && this.lastLagMs > this.limits.maxEventLoopDelayMs) {
      this.current = `the event loop lags ${Math.round(this.lastLagMs)} ms (limit ${this.limits.maxEventLoopDelayMs})`;
    } else if (this.limits.maxHeapMb > 0 && heapMb > this.limits.maxHeapMb) {
      this.current = `the heap holds ${Math.round(heapMb)} MiB (limit ${this.limits.maxHeapMb})`;
    } else {
      this.current = undefined;
    }
  }

  /** Forgets what was measured so far: the lag of the start-up (building the schema, connecting) is not load. */
  reset(): void {
    this.histogram.reset();
    this.current = undefined;
    this.lastLagMs = 0;
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
