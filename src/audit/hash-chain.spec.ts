import { entryHash, GENESIS_HASH, StoredAuditRow, verifyChain, canonicalEntry } from './hash-chain';

function chain(n: number): StoredAuditRow[] {
  const rows: StoredAuditRow[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const record = { seq, at: new Date(Date.UTC(2026, 10, 26, 5, 0, seq)).toISOString(), actor: 'bank-a', action: 'key.add', target: 'bank-a', details: { kid: `k${seq}`, n: seq / 10 } };
    const hash = entryHash(prev, record);
    rows.push({ ...record, prev_hash: prev, hash });
    prev = hash;
  }
  return rows;
}

const fetcher = (rows: StoredAuditRow[]) => async (after: number, limit: number, to?: number) =>
  rows.filter((r) => Number(r.seq) > after && (to === undefined || Number(r.seq) <= to)).slice(0, limit);

describe('audit hash chain', () => {
  it('serializes canonically (RFC 8785): sorted keys, no whitespace', () => {
    expect(canonicalEntry({ seq: 1, at: '2026-11-26T05:00:00.000Z', actor: 'system', action: 'partner.register', target: 'operator', details: { z: 1, a: [true, null, 'é'] } })).toBe(
      '{"action":"partner.register","actor":"system","at":"2026-11-26T05:00:00.000Z","details":{"a":[true,null,"é"],"z":1},"seq":1,"target":"operator"}',
    );
    // A fixed example an outsider can check: sha256("000…0\n" + canonical).
    expect(entryHash(GENESIS_HASH, { seq: 1, at: '2026-11-26T05:00:00.000Z', actor: 'system', action: 'partner.register', target: 'operator', details: {} })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts an intact chain, in small batches too', async () => {
    const rows = chain(25);
    await expect(verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: fetcher(rows), batchSize: 7 })).resolves.toMatchObject({ ok: true, checkedEntries: 25, firstBadSeq: null });
  });

  it('names an altered entry', async () => {
    const rows = chain(10);
    rows[6] = { ...rows[6], details: { kid: 'forged' } };
    const r = await verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: fetcher(rows) });
    expect(r).toMatchObject({ ok: false, firstBadSeq: 7, checkedEntries: 6 });
    expect(r.reason).toMatch(/altered/);
    await expect(verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: fetcher(chain(10)) })).resolves.toMatchObject({ ok: true });
  });

  it('names a recomputed entry by the broken link after it', async () => {
    const rows = chain(10);
    const forged = { ...rows[3], actor: 'mallory' };
    forged.hash = entryHash(forged.prev_hash, { ...forged, seq: 4, at: String(forged.at) });
    rows[3] = forged;
    expect((await verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: fetcher(rows) })).firstBadSeq).toBe(5);
  });

  it('names a gap and a deleted tail against an expected hash', async () => {
    const rows = chain(10);
    const gap = rows.filter((r) => r.seq !== 4);
    expect(await verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: fetcher(gap) })).toMatchObject({ ok: false, firstBadSeq: 4 });
    const tail = rows.slice(0, 8);
    const r = await verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: fetcher(tail), expect: [{ seq: 10, hash: rows[9].hash, what: 'checkpoint 10' }] });
    expect(r).toMatchObject({ ok: false, firstBadSeq: 9 });
    expect(r.reason).toMatch(/checkpoint 10 signed seq 10: entries were deleted/);
    expect(await verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: fetcher(rows), expect: [{ seq: 10, hash: rows[9].hash, what: 'checkpoint 10' }] })).toMatchObject({ ok: true });
  });

  it('checks a range from an anchor', async () => {
    const rows = chain(10);
    const r = await verifyChain({ fromSeq: 4, toSeq: 8, anchorHash: rows[2].hash, fetchBatch: fetcher(rows) });
    expect(r).toMatchObject({ ok: true, checkedEntries: 5, lastSeq: 8 });
    expect((await verifyChain({ fromSeq: 4, toSeq: 8, anchorHash: GENESIS_HASH, fetchBatch: fetcher(rows) })).firstBadSeq).toBe(4);
  });
});
