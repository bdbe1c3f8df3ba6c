import { DataSource } from 'typeorm';
import { codeOf, TestDatabase, TestGateway } from './support/app';
import { TestKey } from './support/keys';

const REVOKE = 'mutation($p: ID!, $kid: String!) { revokePartnerKey(partnerId: $p, kid: $kid) { id } }';
const SUSPEND = 'mutation($id: ID!) { suspendPartner(id: $id) { id } }';

describe('a refused mutation is always audited, whatever its arguments hold (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let ds: DataSource;
  let bank: TestKey;

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0' });
    ds = gw.app.get(DataSource);
    bank = await gw.registerPartner('bank-a', 'BANK');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  async function entriesAfter(seq: number, action: string) {
    return (await ds.query('SELECT actor, target, details FROM audit_log WHERE seq > $1 AND action = $2 ORDER BY seq', [seq, action])) as Array<{ actor: string; target: string | null; details: Record<string, unknown> }>;
  }
  const head = async () => ((await ds.query('SELECT coalesce(max(seq), 0)::int AS n FROM audit_log')) as Array<{ n: number }>)[0].n;

  it('audits a mutation refused at the edge for a NUL or an unpaired surrogate, naming the argument, never the value', async () => {
    const last = await head();
    const nul = await gw.asOperator(SUSPEND, { id: 'no\u0000pe' });
    expect(codeOf(nul)).toBe('BAD_USER_INPUT');
    const lone = await gw.as('bank-a', bank, REVOKE, { p: 'bank-a', kid: 'k\ud800' });
    expect(codeOf(lone)).toBe('BAD_USER_INPUT');
    const suspends = await entriesAfter(last, 'partner.suspend');
    expect(suspends).toEqual([
      { actor: 'operator', target: null, details: { outcome: 'error', code: 'BAD_USER_INPUT', message: 'argument id of suspendPartner (variable $id) must not contain U+0000 (NUL) (at character 2)' } },
    ]);
    const revokes = await entriesAfter(last, 'key.revoke');
    expect(revokes).toEqual([
      { actor: 'bank-a', target: null, details: { outcome: 'error', code: 'BAD_USER_INPUT', message: expect.stringMatching(/^argument kid of revokePartnerKey \(variable \$kid\) must not contain an unpaired surrogate/) } },
    ]);
    // The same mutations with storable arguments run (and are audited as themselves).
    const ok = await gw.as('bank-a', bank, REVOKE, { p: 'bank-a', kid: 'no-such-kid' });
    expect(codeOf(ok)).toBe('NOT_FOUND');
    expect(await entriesAfter(last, 'key.revoke')).toHaveLength(2);
  });

  it('stores an escaped, cut and marked rendering of values that reach a resolver but cannot be stored as they are', async () => {
    const last = await head();
    const huge = await gw.as('bank-a', bank, REVOKE, { p: 'bank-a', kid: 'k'.repeat(40_000) });
    expect(huge.errors).toBeDefined();
    const longTarget = await gw.asOperator(SUSPEND, { id: 'x'.repeat(1000) });
    expect(longTarget.errors).toBeDefined();

    const suspends = await entriesAfter(last, 'partner.suspend');
    expect(suspends).toHaveLength(1);
    expect(suspends[0].target).toMatch(/^x{224}…\[776 more characters\]$/);
    expect(suspends[0].details).toMatchObject({ outcome: 'error', sanitized: true });

    const revokes = await entriesAfter(last, 'key.revoke');
    expect(revokes).toHaveLength(1);
    expect(revokes[0].details).toMatchObject({ outcome: 'error', sanitized: true });
    expect((revokes[0].details.message as string).length).toBeLessThanOrEqual(2048);
    expect(revokes[0].details.message).toMatch(/more characters\]/);

    // The chain still verifies over the rendered entries.
    const v = await gw.asOperator('{ verifyAudit { ok firstBadSeq reason } }');
    expect(v.data!.verifyAudit).toEqual({ ok: true, firstBadSeq: null, reason: null });
  });

  it('records an ordinary refusal as it is, unmarked, and a success as before', async () => {
    const last = await head();
    const refused = await gw.as('bank-a', bank, REVOKE, { p: 'bank-a', kid: 'no-such-kid' });
    expect(codeOf(refused)).toBe('NOT_FOUND');
    expect(await entriesAfter(last, 'key.revoke')).toEqual([{ actor: 'bank-a', target: 'bank-a', details: { outcome: 'error', code: 'NOT_FOUND', message: 'partner "bank-a" has no key "no-such-kid"' } }]);
    const ok = await gw.asOperator(SUSPEND, { id: 'bank-a' });
    expect(ok.data).toEqual({ suspendPartner: { id: 'bank-a' } });
    expect(await entriesAfter(last, 'partner.suspend')).toEqual([{ actor: 'operator', target: 'bank-a', details: { outcome: 'ok' } }]);
  });
});
