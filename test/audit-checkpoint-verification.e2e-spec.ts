import { DataSource } from 'typeorm';
import { AuditAction } from '../src/audit/audit.actions';
import { AuditService } from '../src/audit/audit.service';
import { MAX_CONCURRENT_WALKS } from '../src/audit/checkpoint-verification.service';
import { codeOf, TestDatabase, TestGateway } from './support/app';
import { assertion, TestKey } from './support/keys';

const VERIFY_CP = `query($cp: String!) { verifyAuditCheckpoint(checkpoint: $cp) { ok checkedEntries firstBadSeq reason } }`;
const CHECKPOINT = 'mutation { createAuditCheckpoint { seq jws } }';

describe("a partner's checkpoint verification costs what is new since the gateway last verified the chain (e2e)", () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let ds: DataSource;
  let bank: TestKey;

  beforeAll(async () => {
    db = await TestDatabase.create();
    // Checkpoints only when the operator asks, so the test knows every one.
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_EVERY: '1000000', AUDIT_CHECKPOINT_SECONDS: '0' });
    ds = gw.app.get(DataSource);
    bank = await gw.registerPartner('bank-a', 'BANK');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  /** Appends n entries through the audit service (group commit), as reads would. */
  async function append(n: number) {
    const audit = gw.app.get(AuditService);
    await Promise.all(Array.from({ length: n }, (_, i) => audit.record({ actor: 'bank-a', action: AuditAction.PartnersRead, details: { items: { 'bank-a': [`r${i}`] } }, concerns: ['bank-a'] })));
  }
  async function checkpoint(): Promise<{ seq: number; jws: string }> {
    const res = await gw.asOperator(CHECKPOINT);
    expect(res.errors).toBeUndefined();
    return res.data!.createAuditCheckpoint;
  }
  async function partnerVerifies(jws: string) {
    const res = await gw.as('bank-a', bank, VERIFY_CP, { cp: jws });
    expect(res.errors).toBeUndefined();
    return res.data!.verifyAuditCheckpoint;
  }
  const mark = async () => ((await ds.query('SELECT seq::int AS seq, hash FROM audit_verified_mark')) as Array<{ seq: number; hash: string }>);
  async function asRogueDba(sql: string, params: unknown[] = []) {
    await ds.transaction(async (tx) => {
      await tx.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
      await tx.query(sql, params);
      await tx.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
    });
  }

  it('caps concurrent walks: over the cap, RATE_LIMITED with a retry hint at once; a retry succeeds', async () => {
    await append(8000);
    const cp = await checkpoint();
    expect(await mark()).toEqual([{ seq: 0, hash: '0'.repeat(64) }]);
    const calls = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const res = await fetch(`${gw.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${await assertion(bank, 'bank-a')}` },
          body: JSON.stringify({ query: VERIFY_CP, variables: { cp: cp.jws } }),
        });
        return { retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { data: any; errors?: Array<{ message: string; extensions: Record<string, unknown> }> } };
      }),
    );
    // Each answer is a walk from the mark (from entry 1 here), a refusal over the cap, or, for a
    // request that arrived after a walk had moved the mark, a check of one entry.
    const limited = calls.filter((c) => c.body.errors);
    const walked = calls.filter((c) => c.body.data?.verifyAuditCheckpoint?.checkedEntries === cp.seq);
    const cheap = calls.filter((c) => c.body.data?.verifyAuditCheckpoint?.checkedEntries === 1);
    expect(walked.length + cheap.length + limited.length).toBe(calls.length);
    expect(walked.length).toBeGreaterThanOrEqual(1);
    expect(walked.length).toBeLessThanOrEqual(MAX_CONCURRENT_WALKS);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    for (const c of [...walked, ...cheap]) expect(c.body.data.verifyAuditCheckpoint).toMatchObject({ ok: true, firstBadSeq: null, reason: null });
    for (const c of limited) {
      expect(c.body.errors![0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: 1 });
      expect(c.body.errors![0].message).toBe(`${MAX_CONCURRENT_WALKS} audit checkpoint verifications are already running; retry after 1 s`);
      expect(c.retryAfter).toBe('1');
    }
    // The walk moved the mark to the checkpoint: a retry is answered from there, at the cost of one entry.
    expect((await mark())[0].seq).toBe(cp.seq);
    expect(await partnerVerifies(cp.jws)).toEqual({ ok: true, checkedEntries: 1, firstBadSeq: null, reason: null });
  });

  it('hashes only the entries after the mark, moves the mark, and checks an older checkpoint with one entry', async () => {
    const c1 = await checkpoint();
    const [{ seq: from }] = await mark();
    expect(await partnerVerifies(c1.jws)).toMatchObject({ ok: true, checkedEntries: c1.seq - from });
    expect((await mark())[0].seq).toBe(c1.seq);
    await append(40);
    const c2 = await checkpoint();
    // Not the whole chain (c2.seq entries), only what is new since c1.
    expect(await partnerVerifies(c2.jws)).toEqual({ ok: true, checkedEntries: c2.seq - c1.seq, firstBadSeq: null, reason: null });
    const [m] = await mark();
    expect(m.seq).toBe(c2.seq);
    expect(m.hash).toBe(JSON.parse(Buffer.from(c2.jws.split('.')[1], 'base64url').toString()).hash);
    expect(await partnerVerifies(c1.jws)).toEqual({ ok: true, checkedEntries: 1, firstBadSeq: null, reason: null });
  });

  it('finds an entry altered after the mark, an altered checkpoint entry, and (operator) one altered before the mark', async () => {
    const [{ seq: before }] = await mark();
    await append(20);
    const c3 = await checkpoint();
    await asRogueDba(`UPDATE audit_log SET details = '{"items":{"bank-a":["forged"]}}' WHERE seq = $1`, [before + 5]);
    expect(await partnerVerifies(c3.jws)).toMatchObject({ ok: false, firstBadSeq: before + 5, checkedEntries: 4 });
    expect((await mark())[0].seq).toBe(before); // a failed walk does not move the mark

    // The entry of a checkpoint before the mark is itself checked.
    await asRogueDba(`UPDATE audit_log SET actor = 'mallory' WHERE seq = $1`, [before]);
    const atMark = (await gw.asOperator('{ latestAuditCheckpoint { seq } }')).data!.latestAuditCheckpoint.seq;
    expect(atMark).toBe(c3.seq);
    const kept = (await ds.query('SELECT jws FROM audit_checkpoint WHERE seq = $1', [before]))[0].jws as string;
    expect(await partnerVerifies(kept)).toMatchObject({ ok: false, firstBadSeq: before });

    // An entry before the mark, altered with the checkpoint's entry left intact: a partner's check
    // of a later checkpoint does not re-hash history; the operator's full verification does, and
    // moves the mark back to the last intact entry, so partners' checks see it from then on.
    await asRogueDba(`UPDATE audit_log SET details = '{"items":{"bank-a":["rewritten"]}}' WHERE seq = 10`);
    const full = await gw.asOperator('{ verifyAudit { ok firstBadSeq } }');
    expect(full.data!.verifyAudit).toEqual({ ok: false, firstBadSeq: 10 });
    expect((await mark())[0].seq).toBe(9);
    expect(await partnerVerifies(c3.jws)).toMatchObject({ ok: false, firstBadSeq: 10 });
    // A checkpoint that is not the gateway's is still refused, and the operator still checks from entry 1.
    expect((await partnerVerifies('a.b.c')).reason).toMatch(/not a checkpoint signed by this gateway/);
    expect((await gw.asOperator(VERIFY_CP, { cp: c3.jws })).data!.verifyAuditCheckpoint).toMatchObject({ ok: false, firstBadSeq: 10, checkedEntries: 9 });
    expect(codeOf(await gw.as('bank-a', bank, '{ me { id } }'))).toBeUndefined();
  });
});
