import { forEachSliced } from './sliced';

describe('forEachSliced', () => {
  it('visits every item once, in order, and gives the event loop turns during a long run', async () => {
    const seen: number[] = [];
    let visitedWhenTimerFired = -1;
    setTimeout(() => (visitedWhenTimerFired = seen.length), 0);
    const busy = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    await forEachSliced(Array.from({ length: 200 }, (_, i) => i), (item, index) => {
      busy(0.2); // 200 items x 0.2 ms: about 40 ms in all, ten 4 ms slices
      seen.push(item * 1000 + index);
    });
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => i * 1000 + i));
    expect(visitedWhenTimerFired).toBeGreaterThan(0);
    expect(visitedWhenTimerFired).toBeLessThan(200); // the timer ran before the loop ended
  });

  it('runs a short loop without yielding, and an empty one at all', async () => {
    const seen: string[] = [];
    let fired = false;
    setImmediate(() => (fired = true));
    await forEachSliced(['a', 'b', 'c'], (x) => seen.push(x));
    expect([seen, fired]).toEqual([['a', 'b', 'c'], false]);
    await forEachSliced([], () => seen.push('never'));
    expect(seen).toEqual(['a', 'b', 'c']);
  });
});
