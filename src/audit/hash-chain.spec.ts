import { entryHash, GENESIS_HASH, recordOf, StoredAuditRow, verifyChain, canonicalEntry } from './hash-chain';

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

// Mutants left alive by `npm run mutation` in hash-chain.ts, all equivalent:
// - `typeof row.at === 'string'` -> true (both places): for a number the digit test on its text
//   matches and Number() gives it back, so nothing changes.
// - the digit regexes without ^ or $, or with the fraction made mandatory: the rows come from
//   fetchAuditRows (epoch ms as a number) or pg (a Date, or digits as text), never from text that
//   ends or starts with digits and holds anything else; whole-ms digits give the same Date either way.
// - `o.expect ?? []` -> a one-element array: it maps to a Map entry under `undefined`, never looked up.
// - `record.seq > expectedSeq` -> `>=` in the missing/out-of-order message: equality is excluded by
//   the enclosing `record.seq !== expectedSeq`.
// - `o.toSeq !== undefined &&` -> true: `lastSeq < undefined` is false anyway.
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

  it('gives the event loop turns during a long walk (a timer due at its start fires before it ends), and still checks every entry', async () => {
    const rows = chain(4000);
    let timerFiredAt: number | null = null;
    let progress = 0;
    setTimeout(() => (timerFiredAt = progress), 0);
    const walk = await verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: fetcher(rows), onProgress: (n) => (progress = n) });
    expect(walk).toMatchObject({ ok: true, checkedEntries: 4000, lastSeq: 4000 });
    // One batch of 4000 (onProgress runs once, after it): the timer ran while the batch was hashed.
    expect(timerFiredAt).toBe(0);
    const broken = rows.map((r) => (r.seq === 3999 ? { ...r, actor: 'mallory' } : r));
    await expect(verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: fetcher(broken) })).resolves.toMatchObject({ ok: false, firstBadSeq: 3999 });
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

  it('reads `at` as a Date, epoch milliseconds (number or text) or an ISO string, and seq as text or number', () => {
    const row = { seq: '3', actor: 'a', action: 'x', target: null, details: {}, prev_hash: '', hash: '' };
    const iso = '2026-11-26T05:00:01.250Z';
    const ms = Date.parse(iso);
    for (const at of [new Date(ms), ms, String(ms), iso, `${ms}.25`]) {
      expect(recordOf({ ...row, at })).toEqual({ seq: 3, at: iso, actor: 'a', action: 'x', target: null, details: {} });
    }
  });

  it('names a sub-millisecond timestamp, an out-of-order entry and a broken prev_hash link', async () => {
    const rows = chain(6);
    const ms = (i: number) => Date.parse(String(rows[i].at));
    const sub = rows.map((r, i) => (i === 2 ? { ...r, at: ms(i) + 0.5 } : r));
    expect(await verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: fetcher(sub) })).toEqual({
      ok: false, checkedEntries: 2, firstBadSeq: 3, lastHash: rows[1].hash, lastSeq: 2,
      reason: 'the timestamp has sub-millisecond digits that were never hashed (the entry was altered)',
    });
    for (const frac of ['.5', '.25']) {
      const subText = rows.map((r, i) => (i === 2 ? { ...r, at: `${ms(i)}${frac}` } : r));
      expect(await verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: fetcher(subText) })).toMatchObject({ ok: false, firstBadSeq: 3 });
    }
    // Whole milliseconds, as a number or as text, verify.
    const whole = rows.map((r, i) => ({ ...r, at: i % 2 ? ms(i) : String(ms(i)) }));
    expect(await verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: fetcher(whole) })).toMatchObject({ ok: true, checkedEntries: 6 });

    const swapped = [rows[0], rows[2], rows[1], ...rows.slice(3)];
    expect(await verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: async (after, limit) => (after === 0 ? swapped.slice(0, limit) : []) })).toMatchObject({
      ok: false, firstBadSeq: 2, checkedEntries: 1, reason: 'entry 2 is missing (next entry is 3)',
    });
    const repeated = [rows[0], rows[1], rows[1]];
    expect(await verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: async (after) => (after === 0 ? repeated : []) })).toMatchObject({
      ok: false, firstBadSeq: 3, reason: 'entry 2 appears out of order',
    });
    const relinked = rows.map((r, i) => (i === 3 ? { ...r, prev_hash: GENESIS_HASH } : r));
    expect(await verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: fetcher(relinked) })).toMatchObject({
      ok: false, firstBadSeq: 4, checkedEntries: 3, reason: 'prev_hash does not match the hash of the previous entry',
    });
    expect(await verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: fetcher(rows) })).toEqual({ ok: true, checkedEntries: 6, firstBadSeq: null, reason: null, lastHash: rows[5].hash, lastSeq: 6 });
  });

  it('reads in batches of 5000 by default, asks for the next batch only after a full one, and reports progress', async () => {
    const rows = chain(12);
    const asked: Array<[number, number, number | undefined]> = [];
    const progress: Array<[number, number]> = [];
    const r = await verifyChain({
      anchorHash: GENESIS_HASH, batchSize: 5, toSeq: 12,
      fetchBatch: async (after, limit, to) => (asked.push([after, limit, to]), fetcher(rows)(after, limit, to)),
      onProgress: (checked, last) => progress.push([checked, last]),
    });
    expect(r).toMatchObject({ ok: true, checkedEntries: 12, lastSeq: 12 });
    expect(asked).toEqual([[0, 5, 12], [5, 5, 12], [10, 5, 12]]);
    expect(progress).toEqual([[5, 5], [10, 10], [12, 12]]);
    const defaults: number[] = [];
    await verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: async (after, limit, to) => (defaults.push(limit), fetcher(rows)(after, limit, to)) });
    expect(defaults).toEqual([5000]);
    // An exact multiple of the batch size needs one more (empty) read.
    const ten: number[] = [];
    await verifyChain({ anchorHash: GENESIS_HASH, batchSize: 5, fetchBatch: async (after, limit, to) => (ten.push(after), fetcher(rows.slice(0, 10))(after, limit, to)) });
    expect(ten).toEqual([0, 5, 10]);
  });

  it('says where a log ends before the range asked for', async () => {
    const rows = chain(5);
    expect(await verifyChain({ anchorHash: GENESIS_HASH, toSeq: 7, fetchBatch: fetcher(rows) })).toEqual({
      ok: false, checkedEntries: 5, firstBadSeq: 6, lastHash: rows[4].hash, lastSeq: 5, reason: 'the log ends at seq 5, before seq 7: entries were deleted',
    });
    expect(await verifyChain({ anchorHash: GENESIS_HASH, toSeq: 5, fetchBatch: fetcher(rows) })).toMatchObject({ ok: true, checkedEntries: 5 });
    // The earliest checkpoint beyond the end is named.
    const r = await verifyChain({ anchorHash: GENESIS_HASH, fetchBatch: fetcher(rows), expect: [{ seq: 9, hash: 'h9', what: 'checkpoint 9' }, { seq: 7, hash: 'h7', what: 'checkpoint 7' }] });
    expect(r.reason).toBe('the log ends at seq 5, but checkpoint 7 signed seq 7: entries were deleted');
  });
});
