import { Watchers } from './watchers';

describe('Watchers (the in-process waiter registry)', () => {
  it('wakes every watcher of the stream and no other', async () => {
    const w = new Watchers({ perPartner: 10, total: 10 });
    const a = w.open('s1', 'p1');
    const b = w.open('s1', 'p2');
    const c = w.open('s2', 'p1');
    const pa = a.next(10_000);
    const pb = b.next(10_000);
    const pc = c.next(20);
    w.notify('s1');
    expect(await pa).toBe('notice');
    expect(await pb).toBe('notice');
    expect(await pc).toBe('timeout');
    for (const x of [a, b, c]) x.close();
    expect(w.size).toBe(0);
  });

  it('remembers a notice that came before the wait (no lost wake-up between a read and the wait)', async () => {
    const w = new Watchers({ perPartner: 10, total: 10 });
    const a = w.open('s1', 'p1');
    w.notify('s1'); // while its owner was reading the ledger
    expect(await a.next(10_000)).toBe('notice');
    expect(await a.next(10)).toBe('timeout'); // the mark is used once
    a.close();
  });

  it('ends a wait when the signal aborts or the watch closes', async () => {
    const w = new Watchers({ perPartner: 10, total: 10 });
    const a = w.open('s1', 'p1');
    const ctl = new AbortController();
    const p = a.next(10_000, ctl.signal);
    ctl.abort();
    expect(await p).toBe('aborted');
    const q = a.next(10_000);
    a.close();
    expect(await q).toBe('aborted');
    expect(await a.next(10_000)).toBe('aborted');
    a.close(); // twice is harmless
    expect(w.size).toBe(0);
  });

  it('refuses past the per-partner and total bounds, naming them; a closed watch frees its slot', () => {
    const w = new Watchers({ perPartner: 2, total: 3 });
    const a = w.open('s1', 'p1');
    w.open('s2', 'p1');
    expect(() => w.open('s3', 'p1')).toThrow(/DELIVERY_MAX_WAITERS_PER_PARTNER/);
    w.open('s1', 'p2');
    expect(() => w.open('s1', 'p3')).toThrow(/DELIVERY_MAX_WAITERS\)/);
    a.close();
    expect(w.open('s3', 'p1').partnerId).toBe('p1');
    expect(w.size).toBe(3);
  });

  it('notifyAll wakes every watcher (after the listening connection came back)', async () => {
    const w = new Watchers({ perPartner: 10, total: 10 });
    const a = w.open('s1', 'p1');
    const b = w.open('s2', 'p1');
    const pa = a.next(10_000);
    w.notifyAll();
    expect(await pa).toBe('notice');
    expect(await b.next(10_000)).toBe('notice');
    a.close();
    b.close();
  });
});
