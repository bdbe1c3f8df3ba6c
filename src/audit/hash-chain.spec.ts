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
  });

  // The README's worked example ("Audit log"), hashed independently with python3 hashlib over the
  // hand-written canonical text below; a change to the hash input (the "\n", the key order, the
  // encoding) changes these hex strings.
  it("reproduces the README's worked example, byte for byte", () => {
    const first = { seq: 1, at: '2026-11-26T05:00:00.000Z', actor: 'system', action: 'partner.register', target: 'operator', details: { outcome: 'ok', kind: 'OPERATOR' } };
    const second = { seq: 2, at: '2026-11-26T05:00:01.250Z', actor: 'bank-a', action: 'key.add', target: 'bank-a', details: { note: 'é', n: 0.5, kid: 'bank-a-k2', alg: 'EdDSA' } };
    expect(canonicalEntry(first)).toBe('{"action":"partner.register","actor":"system","at":"2026-11-26T05:00:00.000Z","details":{"kind":"OPERATOR","outcome":"ok"},"seq":1,"target":"operator"}');
    expect(canonicalEntry(second)).toBe('{"action":"key.add","actor":"bank-a","at":"2026-11-26T05:00:01.250Z","details":{"alg":"EdDSA","kid":"bank-a-k2","n":0.5,"note":"é"},"seq":2,"target":"bank-a"}');
    expect(GENESIS_HASH).toBe('0000000000000000000000000000000000000000000000000000000000000000');
    expect(entryHash(GENESIS_HASH, first)).toBe('1232f31004287db527696a1541f5df76b8adb03cd57ddee69970ca8ca287926b');
    expect(entryHash('1232f31004287db527696a1541f5df76b8adb03cd57ddee69970ca8ca287926b', second)).toBe('4f1718ebe5a60ea268307a4b93f0f6725b74b3164602f97095d77951280d36b1');
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

  it('names the entry whose hash differs from a signed checkpoint, even when the chain itself is consistent', async () => {
    // The chain was rewritten from seq 5 on and every later hash recomputed: only the kept
    // checkpoint (signed before the rewrite) can tell.
    const original = chain(10);
    const rewritten = original.slice(0, 4);
    let prev = original[3].hash;
    for (const row of original.slice(4)) {
      const record = { seq: Number(row.seq), at: String(row.at), actor: row.seq === 5 ? 'mallory' : row.actor, action: row.action, target: row.target, details: row.details };
      const hash = entryHash(prev, record);
      rewritten.push({ ...record, prev_hash: prev, hash });
      prev = hash;
    }
    expect(await verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: fetcher(rewritten) })).toMatchObject({ ok: true, checkedEntries: 10 });
    const kept = [{ seq: 7, hash: original[6].hash, what: 'checkpoint 7' }];
    const r = await verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: fetcher(rewritten), expect: kept });
    expect(r).toEqual({ ok: false, checkedEntries: 6, firstBadSeq: 7, reason: 'hash differs from the one signed in checkpoint 7', lastHash: rewritten[5].hash, lastSeq: 6 });
    // The original chain matches the same checkpoint.
    expect(await verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: fetcher(original), expect: kept })).toMatchObject({ ok: true, checkedEntries: 10, lastSeq: 10, lastHash: original[9].hash });
  });

  it('checks a range from an anchor', async () => {
    const rows = chain(10);
    const r = await verifyChain({ fromSeq: 4, toSeq: 8, anchorHash: rows[2].hash, fetchBatch: fetcher(rows) });
    expect(r).toMatchObject({ ok: true, checkedEntries: 5, lastSeq: 8 });
    expect((await verifyChain({ fromSeq: 4, toSeq: 8, anchorHash: GENESIS_HASH, fetchBatch: fetcher(rows) })).firstBadSeq).toBe(4);
  });
});
