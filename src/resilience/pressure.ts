/** Length of one judgement window, and how many windows in a row must lag before new work is shed. */
export const PRESSURE_WINDOW_MS = 250;
export const PRESSURE_WINDOWS = 2;
/** The loop's timer: each tick records how late it ran. */
export const SAMPLE_MS = 10;

/**
 * The lag of one window from its timer delays: the time-weighted median, i.e. the delay d such
 * that half of the window's time went to turns at least d late. A request arriving at a random
 * moment waits for the turn in progress, so what counts is where the time goes, not how many turns
 * were short: a loop with many quick turns between 200 ms ones is mostly in the 200 ms ones. A
 * window without a sample is a loop that was stalled throughout: that single stall is judged by
 * the windows around it.
 */
export function windowLagMs(delays: readonly number[], sampleMs = SAMPLE_MS): number | undefined {
  if (delays.length === 0) return undefined;
  const longestFirst = [...delays].sort((a, b) => b - a);
  const total = longestFirst.reduce((sum, d) => sum + sampleMs + d, 0);
  let covered = 0;
  for (const d of longestFirst) {
    covered += sampleMs + d;
    if (covered * 2 >= total) return d;
  }
  return longestFirst[longestFirst.length - 1];
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
  private ticker: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly judge: LagJudge;
  private delays: number[] = [];
  private lastTick = performance.now();
  private current: string | undefined;
  lastLagMs = 0;

  constructor(private readonly limits: { maxEventLoopDelayMs: number; maxHeapMb: number }) {
    this.judge = new LagJudge(limits.maxEventLoopDelayMs);
  }

  /**
   * Starts judging. Called once the server listens: start-up (loading modules, building the schema,
   * migrations) holds the loop for seconds, which says nothing about serving.
   */
  start(): void {
    if (this.ticker) return;
    this.lastTick = performance.now();
    this.ticker = setInterval(() => {
      const now = performance.now();
      this.delays.push(Math.max(0, now - this.lastTick - SAMPLE_MS));
      this.lastTick = now;
    }, SAMPLE_MS);
    this.ticker.unref();
    this.timer = setInterval(() => this.sample(), PRESSURE_WINDOW_MS);
    this.timer.unref();
  }

  /** Why the process is under pressure now, or undefined. */
  get reason(): string | undefined {
    return this.current;
  }

  private sample(): void {
    const lag = windowLagMs(this.delays);
    this.delays = [];
    if (lag !== undefined) this.lastLagMs = lag;
    const lagging = this.limits.maxEventLoopDelayMs > 0 && this.judge.observe(lag);
    const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
    if (lagging) {
      this.current = `the event loop lags ${Math.round(this.lastLagMs)} ms (limit ${this.limits.maxEventLoopDelayMs})`;
    } else if (this.limits.maxHeapMb > 0 && heapMb > this.limits.maxHeapMb) {
      this.current = `the heap holds ${Math.round(heapMb)} MiB (limit ${this.limits.maxHeapMb})`;
    } else {
      this.current = undefined;
    }
  }

  stop(): void {
    clearInterval(this.ticker);
    clearInterval(this.timer);
  }
}
