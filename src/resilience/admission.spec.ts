import { Admission, requestCost } from './admission';

describe('admission', () => {
  it('costs 1 plus 1 per KiB, and a whole share when the length is unknown', () => {
    expect(requestCost('0', 100)).toBe(1);
    expect(requestCost('1024', 100)).toBe(2);
    expect(requestCost('1025', 100)).toBe(3);
    expect(requestCost(undefined, 100)).toBe(100);
    expect(requestCost('x', 100)).toBe(100);
  });

  it('refuses a partner over its share while others still get in, and admits again after release', () => {
    const a = new Admission({ maxInflightCost: 100, maxInflightCostPerPartner: 30 });
    const first = a.tryAdmit('bank-a', 20);
    expect(first.ok).toBe(true);
    const second = a.tryAdmit('bank-a', 20);
    expect(second).toEqual({ ok: false, reason: expect.stringContaining('20 of its 30') });
    expect(a.tryAdmit('shop-b', 20).ok).toBe(true);
    if (first.ok) first.ticket.release();
    if (first.ok) first.ticket.release(); // idempotent
    expect(a.inflightOf('bank-a')).toBe(0);
    expect(a.inflightCost).toBe(20);
    expect(a.tryAdmit('bank-a', 20).ok).toBe(true);
  });

  it('refuses anyone over the total, and admits one oversized request when the partner is idle', () => {
    const a = new Admission({ maxInflightCost: 50, maxInflightCostPerPartner: 30 });
    const big = a.tryAdmit('bank-a', 1000); // capped at the share
    expect(big.ok).toBe(true);
    expect(a.inflightCost).toBe(30);
    expect(a.tryAdmit('shop-b', 15).ok).toBe(true);
    expect(a.tryAdmit('shop-c', 10)).toEqual({ ok: false, reason: expect.stringContaining('45 of its 50') });
    expect(a.refusedCount).toBe(1);
    if (big.ok) big.ticket.release();
    expect(a.tryAdmit('shop-c', 10).ok).toBe(true);
  });
});
