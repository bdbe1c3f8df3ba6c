import { DataSource } from 'typeorm';
import { codeOf, TestDatabase, TestGateway } from './support/app';
import { makeKey, TestKey } from './support/keys';
import { AuthFailureRecorder } from '../src/audit/auth-failures';
import { AuditService } from '../src/audit/audit.service';
import { AuditAction } from '../src/audit/audit.actions';
import { SignJWT, importJWK } from 'jose';
import { fetchAuditRows } from '../src/audit/chain-io';
import { entryHash, recordOf } from '../src/audit/hash-chain';

const ENTRIES = `query($filter: AuditLogFilter, $first: Int, $after: String) {
  auditLog(filter: $filter, first: $first, after: $after) { edges { cursor node { seq actor action target details prevHash hash } } pageInfo { hasNextPage endCursor } } }`;
const MINE = `query($filter: AuditLogFilter) { myAuditTrail(filter: $filter, first: 100) { edges { node { seq actor action target details } } } }`;
const VERIFY = `query($from: Int, $to: Int) { verifyAudit(fromSeq: $from, toSeq: $to) { ok checkedEntries firstBadSeq reason } }`;
const VERIFY_CP = `query($cp: String!) { verifyAuditCheckpoint(checkpoint: $cp) { ok checkedEntries firstBadSeq reason } }`;

describe('tamper-evident audit log (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let ds: DataSource;
  let bank: TestKey;

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_EVERY: '25', AUDIT_CHECKPOINT_SECONDS: '0' });
    ds = gw.app.get(DataSource);
    bank = await gw.registerPartner('bank-a', 'BANK');
    await gw.registerPartner('shop-b', 'ECOMMERCE');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  /** Runs SQL as the DBA would, with the immutability triggers off. */
  async function asRogueDba(sql: string, params: unknown[] = []) {
    await ds.transaction(async (tx) => {
      await tx.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
      await tx.query(sql, params);
      await tx.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
    });
  }

  async function verify(from?: number, to?: number) {
    const res = await gw.asOperator(VERIFY, { from, to });
    expect(res.errors).toBeUndefined();
    return res.data!.verifyAudit;
  }

  it('records each mutation with its outcome, in the action itself', async () => {
    const k2 = await makeKey('bank-a-k2');
    await gw.as('bank-a', bank, 'mutation($jwk: String!) { addPartnerKey(partnerId: "bank-a", jwk: $jwk) { id } }', { jwk: JSON.stringify(k2.publicJwk) });
    const refused = await gw.as('bank-a', bank, 'mutation($jwk: String!) { addPartnerKey(partnerId: "shop-b", jwk: $jwk) { id } }', { jwk: JSON.stringify(k2.publicJwk) });
    expect(codeOf(refused)).toBe('FORBIDDEN');
    const res = await gw.asOperator(ENTRIES, { filter: { action: 'key.add', actor: 'bank-a' } });
    const nodes = res.data!.auditLog.edges.map((e: any) => ({ ...e.node, details: JSON.parse(e.node.details) }));
    expect(nodes).toEqual([
      expect.objectContaining({ actor: 'bank-a', action: 'key.add', target: 'shop-b', details: expect.objectContaining({ outcome: 'error', code: 'FORBIDDEN' }) }),
      expect.objectContaining({ actor: 'bank-a', action: 'key.add', target: 'bank-a', details: { outcome: 'ok', kid: 'bank-a-k2', alg: 'EdDSA' } }),
    ]);
    const boot = await gw.asOperator(ENTRIES, { filter: { actor: 'system', action: 'partner.register' } });
    expect(boot.data!.auditLog.edges[0].node.target).toBe('operator');
  });

  it('writes no success entry when the action fails (atomic), only the failure', async () => {
    const before = await ds.query('SELECT count(*)::int AS n FROM audit_log WHERE action = $1', ['partner.register']);
    const dup = await gw.asOperator('mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { id } }', {
      i: { id: 'bank-a', name: 'dup', kind: 'BANK', jwks: JSON.stringify({ keys: [(await makeKey('z')).publicJwk] }) },
    });
    expect(codeOf(dup)).toBe('CONFLICT');
    const rows = await ds.query(`SELECT details FROM audit_log WHERE action = 'partner.register' ORDER BY seq DESC LIMIT 1`);
    expect(rows[0].details).toMatchObject({ outcome: 'error', code: 'CONFLICT' });
    const after = await ds.query('SELECT count(*)::int AS n FROM audit_log WHERE action = $1', ['partner.register']);
    expect(after[0].n).toBe(before[0].n + 1);
    expect(await ds.query(`SELECT count(*)::int AS n FROM partner WHERE name = 'dup'`)).toEqual([{ n: 0 }]);
  });

  it('refuses UPDATE, DELETE and TRUNCATE in the database', async () => {
    await expect(ds.query(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await expect(ds.query('DELETE FROM audit_log WHERE seq = 1')).rejects.toThrow(/append-only/);
    await expect(ds.query('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
    await expect(ds.query('TRUNCATE audit_checkpoint')).rejects.toThrow(/append-only/);
    expect(await verify()).toMatchObject({ ok: true, firstBadSeq: null });
  });

  it('keeps a linear, gapless chain under 50 concurrent mutations', async () => {
    const keys = await Promise.all(Array.from({ length: 50 }, (_, i) => makeKey(`conc-${i}`)));
    const results = await Promise.all(
      keys.map((k, i) =>
        gw.asOperator('mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { id } }', { i: { id: `conc-${i}`, name: `Concurrent ${i}`, kind: 'BANK', jwks: JSON.stringify({ keys: [k.publicJwk] }) } }),
      ),
    );
    expect(results.filter((r) => r.errors)).toEqual([]);
    const seqs = (await ds.query('SELECT seq FROM audit_log ORDER BY seq')).map((r: { seq: string | number }) => Number(r.seq));
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    const v = await verify();
    expect(v).toMatchObject({ ok: true, checkedEntries: seqs.length });
    // AUDIT_CHECKPOINT_EVERY=25: checkpoints were signed along the way.
    expect((await ds.query('SELECT seq FROM audit_checkpoint ORDER BY seq')).map((r: any) => Number(r.seq))).toEqual(
      seqs.filter((s: number) => s % 25 === 0),
    );
  });

  it('group-commits concurrent reads: one entry each, a linear chain', async () => {
    const audit = gw.app.get(AuditService);
    const entries = await Promise.all(Array.from({ length: 100 }, (_, i) => audit.record({ actor: 'bank-a', action: AuditAction.PartnersRead, details: { items: { 'shop-b': [`r${i}`] } }, concerns: ['shop-b'] })));
    const seqs = entries.map((e) => e.seq).sort((a, b) => a - b);
    expect(new Set(seqs).size).toBe(100);
    expect(seqs[99] - seqs[0]).toBe(99);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('lists with filters and cursors, newest first', async () => {
    const seen: number[] = [];
    let after: string | null = null;
    for (;;) {
      const res: any = await gw.asOperator(ENTRIES, { filter: { action: 'partner.register', actor: 'operator' }, first: 20, after });
      seen.push(...res.data.auditLog.edges.map((e: any) => e.node.seq));
      if (!res.data.auditLog.pageInfo.hasNextPage) break;
      after = res.data.auditLog.pageInfo.endCursor;
    }
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'partner.register' AND actor = 'operator'`);
    // bank-a and shop-b (setup), the refused duplicate, and the 50 concurrent registrations.
    expect(n).toBe(53);
    expect(seen).toHaveLength(n);
    expect(new Set(seen).size).toBe(n);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
    const future = await gw.asOperator(ENTRIES, { filter: { since: new Date(Date.now() + 3600_000).toISOString() } });
    expect(future.data!.auditLog.edges).toEqual([]);
    const bad = await gw.asOperator(ENTRIES, { after: 'not-a-cursor!' });
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    expect(codeOf(await gw.as('bank-a', bank, ENTRIES))).toBe('FORBIDDEN');
  });

  it("shows a partner the entries about its own data, including who read it, and nothing about others'", async () => {
    await gw.asOperator('{ partners(first: 100) { edges { node { id } } } }');
    const mine = await gw.as('bank-a', bank, MINE);
    const nodes = mine.data!.myAuditTrail.edges.map((e: any) => ({ ...e.node, details: JSON.parse(e.node.details) }));
    expect(nodes.length).toBeGreaterThan(2);
    const read = nodes.find((n: any) => n.action === 'partners.read');
    expect(read).toMatchObject({ actor: 'operator', details: { items: { 'bank-a': ['bank-a'] } } });
    for (const n of nodes) {
      expect(JSON.stringify(n.details)).not.toContain('shop-b');
      // Entries about another target are the caller's own attempts.
      expect(n.target === null || n.target === 'bank-a' || n.actor === 'bank-a').toBe(true);
    }
    // shop-b sees its own side of the same read.
    const shop = await gw.as('shop-b', (await addKeyFor('shop-b')), MINE, { filter: { action: 'partners.read' } });
    expect(JSON.parse(shop.data!.myAuditTrail.edges[0].node.details)).toEqual({ items: { 'shop-b': ['shop-b'] } });
  });

  async function addKeyFor(partner: string): Promise<TestKey> {
    const k = await makeKey(`${partner}-extra-${Date.now()}`);
    await gw.asOperator('mutation($p: ID!, $jwk: String!) { addPartnerKey(partnerId: $p, jwk: $jwk) { id } }', { p: partner, jwk: JSON.stringify(k.publicJwk) });
    return k;
  }

  it('aggregates authentication failures per partner and minute', async () => {
    const recorder = gw.app.get(AuthFailureRecorder);
    await recorder.flush(true);
    const stranger = await makeKey(bank.kid);
    for (let i = 0; i < 30; i++) await gw.as('bank-a', stranger, '{ me { id } }');
    await gw.gql('{ me { id } }');
    expect(await recorder.flush(true)).toBe(2);
    const res = await gw.asOperator(ENTRIES, { filter: { action: 'auth.failure' } });
    const entries = res.data!.auditLog.edges.map((e: any) => ({ target: e.node.target, details: JSON.parse(e.node.details) }));
    expect(entries).toEqual(
      expect.arrayContaining([
        { target: 'bank-a', details: expect.objectContaining({ count: 30, rules: { signature: 30 } }) },
        { target: 'unknown', details: expect.objectContaining({ count: 1, rules: { bearer: 1 } }) },
      ]),
    );
    const trail = await gw.as('bank-a', bank, MINE, { filter: { action: 'auth.failure' } });
    expect(trail.data!.myAuditTrail.edges).toHaveLength(1);
  });

  it('lets any partner read the latest checkpoint and verify it; a forged one is refused', async () => {
    const created = await gw.asOperator('mutation { createAuditCheckpoint { seq hash jws } }');
    expect(created.errors).toBeUndefined();
    const latest = await gw.as('bank-a', bank, '{ latestAuditCheckpoint { seq hash at jws } }');
    const cp = latest.data!.latestAuditCheckpoint;
    expect(cp).toMatchObject({ seq: created.data!.createAuditCheckpoint.seq, hash: created.data!.createAuditCheckpoint.hash });
    // Hashed from where the gateway last verified the chain (the operator's verifyAudit above), not from entry 1.
    const [{ seq: mark }] = await ds.query('SELECT seq::int AS seq FROM audit_verified_mark');
    expect(mark).toBeGreaterThan(0);
    expect((await gw.as('bank-a', bank, VERIFY_CP, { cp: cp.jws })).data!.verifyAuditCheckpoint).toMatchObject({ ok: true, checkedEntries: cp.seq - mark });

    // Same payload, signed by someone else's key under the gateway's kid.
    const [h, p] = cp.jws.split('.');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const forger = await makeKey(header.kid);
    const forged = await new SignJWT(JSON.parse(Buffer.from(p, 'base64url').toString())).setProtectedHeader(header).sign(await importJWK(forger.privateJwk, 'EdDSA'));
    const bad = (await gw.as('bank-a', bank, VERIFY_CP, { cp: forged })).data!.verifyAuditCheckpoint;
    expect(bad).toMatchObject({ ok: false });
    expect(bad.reason).toMatch(/not a checkpoint signed by this gateway/);
    // A real signature over a tampered payload fails too.
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), seq: 1 })).toString('base64url')}.${cp.jws.split('.')[2]}`;
    expect((await gw.as('bank-a', bank, VERIFY_CP, { cp: tampered })).data!.verifyAuditCheckpoint.ok).toBe(false);
  });

  it('detects a row changed by SQL with the trigger disabled, naming its seq', async () => {
    expect(await verify()).toMatchObject({ ok: true });
    await asRogueDba(`UPDATE audit_log SET details = '{"outcome":"ok","kid":"innocent"}' WHERE seq = 7`);
    const v = await verify();
    expect(v).toMatchObject({ ok: false, firstBadSeq: 7, checkedEntries: 6 });
    expect(v.reason).toMatch(/altered/);
    expect(await verify(8)).toMatchObject({ ok: true });
  });

  it('detects a deleted tail against a checkpoint a partner kept', async () => {
    const kept = (await gw.as('bank-a', bank, '{ latestAuditCheckpoint { seq jws } }')).data!.latestAuditCheckpoint;
    await asRogueDba('DELETE FROM audit_log WHERE seq > $1', [kept.seq - 3]);
    const v = (await gw.as('bank-a', bank, VERIFY_CP, { cp: kept.jws })).data!.verifyAuditCheckpoint;
    expect(v.ok).toBe(false);
    // Entry 7 was altered earlier, so the first bad entry is still 7; from 8 on, the cut shows.
    expect(v.firstBadSeq).toBe(7);
    const tail = await verify(8, kept.seq);
    expect(tail).toMatchObject({ ok: false, firstBadSeq: kept.seq - 2 });
    expect(tail.reason).toMatch(/entries were deleted/);
  });
});

describe('audit log rewritten by someone with database access (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let ds: DataSource;
  let bank: TestKey;

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_EVERY: '100000', AUDIT_CHECKPOINT_SECONDS: '0' });
    ds = gw.app.get(DataSource);
    bank = await gw.registerPartner('bank-a', 'BANK');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  const checkpoint = async () => {
    const res = await gw.asOperator('mutation { createAuditCheckpoint { seq hash jws } }');
    expect(res.errors).toBeUndefined();
    return res.data!.createAuditCheckpoint as { seq: number; hash: string; jws: string };
  };
  const verifyKept = async (jws: string) => {
    const res = await gw.as('bank-a', bank, VERIFY_CP, { cp: jws });
    expect(res.errors).toBeUndefined();
    return res.data!.verifyAuditCheckpoint;
  };
  const verifyAll = async () => {
    const res = await gw.asOperator(VERIFY, {});
    expect(res.errors).toBeUndefined();
    return res.data!.verifyAudit;
  };

  it('rewrites one entry and recomputes every later hash: the signed checkpoint a partner kept names the cut', async () => {
    const early = await checkpoint();
    await gw.registerPartner('shop-b', 'ECOMMERCE');
    const [{ seq: target }] = await ds.query(`SELECT seq FROM audit_log WHERE action = 'partner.register' AND target = 'shop-b' AND details->>'outcome' = 'ok'`);
    const victim = Number(target);
    await gw.registerPartner('scorer-c', 'INTERNAL_SCORER');
    const kept = await checkpoint();
    expect(victim).toBeGreaterThan(early.seq);
    expect(kept.seq).toBeGreaterThan(victim);
    expect(await verifyKept(kept.jws)).toEqual({ ok: true, checkedEntries: kept.seq, firstBadSeq: null, reason: null });

    // The DBA, as superuser: triggers off, the entry rewritten, the chain re-linked with the
    // published algorithm from that entry to the head, triggers on.
    await ds.transaction(async (tx) => {
      await tx.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
      await tx.query(`UPDATE audit_log SET details = jsonb_set(details, '{kind}', '"LEGAL"') WHERE seq = $1`, [victim]);
      let prev = ((await tx.query('SELECT hash FROM audit_log WHERE seq = $1', [victim - 1])) as Array<{ hash: string }>)[0].hash;
      const rows = await fetchAuditRows((q, p) => tx.query(q, p), victim - 1, 1_000_000);
      for (const row of rows) {
        const hash = entryHash(prev, recordOf(row));
        await tx.query('UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3', [prev, hash, row.seq]);
        prev = hash;
      }
      await tx.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
    });
    expect((await ds.query('SELECT details FROM audit_log WHERE seq = $1', [victim]))[0].details.kind).toBe('LEGAL');

    // The stored checkpoint (signed, so the DBA could not re-sign it) catches it...
    expect(await verifyAll()).toEqual({ ok: false, checkedEntries: kept.seq - 1, firstBadSeq: kept.seq, reason: `hash differs from the one signed in checkpoint ${kept.seq}` });
    // ...and so does the copy a partner kept, even once the stored checkpoints are gone too.
    await ds.transaction(async (tx) => {
      await tx.query('ALTER TABLE audit_checkpoint DISABLE TRIGGER USER');
      await tx.query('DELETE FROM audit_checkpoint');
      await tx.query('ALTER TABLE audit_checkpoint ENABLE TRIGGER USER');
    });
    // With no signed checkpoint left in the database, the re-linked chain is self-consistent:
    // that is why partners keep checkpoints.
    expect(await verifyAll()).toMatchObject({ ok: true, firstBadSeq: null });
    // The operator's verification above moved the gateway's verified mark past the kept checkpoint
    // (the re-linked chain is consistent in itself), so a partner's check compares that entry with
    // its signed hash alone (work proportional to what is new, issue 10 finding 4) and catches it.
    expect(await verifyKept(kept.jws)).toEqual({ ok: false, checkedEntries: 0, firstBadSeq: kept.seq, reason: `hash differs from the one signed in the checkpoint (seq ${kept.seq})` });
    // A checkpoint kept from before the rewritten entry still verifies.
    expect(await verifyKept(early.jws)).toEqual({ ok: true, checkedEntries: 1, firstBadSeq: null, reason: null });
  });
});
