import { GroupRunner } from './group-runner';

const tick = () => new Promise((r) => setImmediate(r));

describe('GroupRunner', () => {
  it('runs a lone item at once, and groups the items that arrive while a group is in flight', async () => {
    const groups: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const runner = new GroupRunner<number, number>(async (items) => {
      groups.push(items);
      if (groups.length === 1) await gate;
      return items.map((i) => i * 10);
    });
    const first = runner.submit(1);
    await tick();
    const rest = [2, 3, 4].map((i) => runner.submit(i));
    expect(runner.load).toEqual({ pending: 3, running: 1 });
    release();
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
    expect(groups).toEqual([[1], [2, 3, 4]]);
    await tick();
    expect(runner.load).toEqual({ pending: 0, running: 0 });
  });

  it('caps a group at maxGroup and runs up to maxRunning groups at once', async () => {
    const groups: string[][] = [];
    let running = 0;
    let peak = 0;
    const runner = new GroupRunner<string, string>(
      async (items) => {
        groups.push(items);
        peak = Math.max(peak, ++running);
        await tick();
        running--;
        return items.map((s) => s.toUpperCase());
      },
      2,
      2,
    );
    const out = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((s) => runner.submit(s)));
    expect(out).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(groups.every((g) => g.length <= 2)).toBe(true);
    expect(groups.flat().sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(peak).toBe(2);
  });

  it('rejects only the item whose result is an Error, and the whole group when run throws', async () => {
    let fail = false;
    const runner = new GroupRunner<number, number>(async (items) => {
      if (fail) throw new Error('database down');
      return items.map((i) => (i < 0 ? new Error(`negative: ${i}`) : i));
    });
    const results = await Promise.allSettled([runner.submit(1), runner.submit(-2), runner.submit(3)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('negative: -2');
    fail = true;
    await expect(runner.submit(4)).rejects.toThrow('database down');
    fail = false;
    expect(await runner.submit(5)).toBe(5); // the runner recovers after a failed group
  });

  it('rejects a group whose run answers the wrong number of results, and refuses bad limits', async () => {
    const runner = new GroupRunner<number, number>(async () => [1, 2]);
    await expect(runner.submit(1)).rejects.toThrow('a group of 1 items produced 2 results');
    expect(() => new GroupRunner(async () => [], 0)).toThrow(RangeError);
    expect(() => new GroupRunner(async () => [], 1, 1.5)).toThrow(RangeError);
  });
});
