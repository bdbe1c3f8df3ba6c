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
    const windows = [2, undefined, undefined, windowLagMs([0, 1, 2000]), 3, 1];
    expect(windows.map((w) => judge.observe(w))).toEqual([false, false, false, false, false, false]);
    expect(judge.observe(60)).toBe(false);
    expect(judge.observe(60)).toBe(true); // while a lag that lasts is still caught
  });

  it('judges a window by where its time went: the time-weighted median delay', () => {
    expect(windowLagMs([])).toBeUndefined();
    expect(windowLagMs([0, 0, 0, 0])).toBe(0);
    expect(windowLagMs([75])).toBe(75);
    // Ten quick turns (110 ms) and one 200 ms turn (210 ms): most turns are quick, most of the time is in the long one.
    expect(windowLagMs([...Array(10).fill(1), 200])).toBe(200);
    // Forty quick turns (440 ms) and one 200 ms turn (210 ms): the time is mostly in quick turns.
    expect(windowLagMs([...Array(40).fill(1), 200])).toBe(1);
    // A loop behind on every turn, by 60 to 90 ms.
    expect(windowLagMs([60, 90, 70, 80])).toBe(80);
  });
});
