import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Length of one judgement window, and how many windows in a row must lag before new work is shed. */
export const PRESSURE_WINDOW_MS = 250;
export const PRESSURE_WINDOWS = 2;

/**
 * The lag of one window: the median delay of the loop's timer samples. A loop that is behind on
 * every turn lifts it; one long task (a hash walk, a large collection) lifts only the maximum.
 * A window without a sample is a loop that was stalled throughout: that single stall is judged by
 * the windows around it.
 */
export function windowLagMs(samples: number, medianNs: number): number | undefined {
  return samples > 0 ? medianNs / 1e6 : undefined;
}

/**
 * Sustained lag: over the limit in each of the last `windows` windows. A single long task spans at
 * most one sampled window (the loop takes no sample while it runs), so it never sheds on its own.
 */
export class LagJudge {
  private over = 0;
  constructor(
    private readonly limitMs: number,
    private readonly windows = PRESSURE_WINDOWS,
  ) {}

  /** Feeds one window's lag (undefined: no sample); returns whether the lag is sustained over the limit. */
  observe(lagMs: number | undefined): boolean {
    if (lagMs === undefined) return this.over >= this.windows;
    this.over = lagMs > this.limitMs ? this.over + 1 : 0;
    return this.over >= this.windows;
  }
}

/**
 * Event-loop lag and heap, judged every PRESSURE_WINDOW_MS. While either is over its limit, new
 * work is shed: a loop that lags on every turn means the work already admitted exceeds what the
 * process can serve in time (and /health, /metrics wait behind it).
 */
export class PressureMonitor {
  private readonly histogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly timer: NodeJS.Timeout;
  private readonly judge: LagJudge;
  private current: string | undefined;
  lastLagMs = 0;

  constructor(private readonly limits: { maxEventLoopDelayMs: number; maxHeapMb: number }) {
    this.judge = new LagJudge(limits.maxEventLoopDelayMs);
    this.histogram.enable();
    this.timer = setInterval(() => this.sample(), PRESSURE_WINDOW_MS);
    this.timer.unref();
  }

  /** Why the process is under pressure now, or undefined. */
  get reason(): string | undefined {
    return this.current;
  }

  private sample(): void {
    const lag = windowLagMs(this.histogram.count, this.histogram.percentile(50));
    this.histogram.reset();
    if (lag !== undefined) this.lastLagMs = lag;
    const lagging = this.limits.maxEventLoopDelayMs > 0 && this.judge.observe(lag);
    const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
    if (lagging) {
      this.current = `the event loop lags ${Math.round(this.lastLagMs)} ms on every turn (limit ${this.limits.maxEventLoopDelayMs})`;
    } else if (this.limits.maxHeapMb > 0 && heapMb > this.limits.maxHeapMb) {
      this.current = `the heap holds ${Math.round(heapMb)} MiB (limit ${this.limits.maxHeapMb})`;
    } else {
      this.current = undefined;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
