import { LagJudge, PRESSURE_WINDOWS, windowLagMs } from './pressure';

describe('LagJudge: sustained event-loop lag', () => {
  it('sheds only when every one of the last windows lags over the limit, and stops at the first window under it', () => {
    const judge = new LagJudge(50);
    expect(PRESSURE_WINDOWS).toBe(2);
    expect(judge.observe(80)).toBe(false); // one window is not sustained
    expect(judge.observe(80)).toBe(true);
    expect(judge.observe(120)).toBe(true);
    expect(judge.observe(undefined)).toBe(true); // a window without a sample changes nothing
    expect(judge.observe(50)).toBe(false); // at the limit is not over it
    expect(judge.observe(51)).toBe(false);
    expect(judge.observe(51)).toBe(true);
  });

  it('does not shed for one long task: it fills one window (or none), and the windows around it are fine', () => {
    const judge = new LagJudge(50);
    // A 2 s hash walk: one window before it, none during it, one holding only its delay, then normal ones.
    const windows = [2, undefined, undefined, windowLagMs(1, 2000e6), 3, 1];
    expect(windows.map((w) => judge.observe(w))).toEqual([false, false, false, false, false, false]);
    expect(judge.observe(60)).toBe(false);
    expect(judge.observe(60)).toBe(true); // while a lag that lasts is still caught
  });

  it('reads a window\'s median in milliseconds, and no lag from a window without samples', () => {
    expect(windowLagMs(10, 75e6)).toBe(75);
    expect(windowLagMs(0, 0)).toBeUndefined();
  });
});
