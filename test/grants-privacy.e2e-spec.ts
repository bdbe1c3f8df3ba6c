import { DataSource } from 'typeorm';
import { codeOf, TestDatabase, TestGateway } from './support/app';
import { TestKey } from './support/keys';

const GRANT = 'mutation($i: GrantAccessInput!) { grantAccess(input: $i) { id grantee active } }';

describe('grantAccess does not tell whether a partner exists, nor its kind or status (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let bank: TestKey;

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0' });
    bank = await gw.registerPartner('bank-a', 'BANK');
    await gw.registerPartner('shop-b', 'ECOMMERCE');
    await gw.registerPartner('shop-s', 'ECOMMERCE');
    await gw.registerPartner('court-d', 'LEGAL');
    const suspended = await gw.asOperator('mutation { suspendPartner(id: "shop-s") { id } }');
    expect(suspended.errors).toBeUndefined();
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it('answers every unacceptable grantee with one message, and audits each refusal alike', async () => {
    const inAYear = new Date(Date.now() + 365 * 86_400_000).toISOString();
    const base = { categories: ['cash_out'], includeEvidence: false, expiresAt: inAYear, purpose: 'probe' };
    const ds = gw.app.get(DataSource);
    const [{ last }] = await ds.query('SELECT coalesce(max(seq), 0)::int AS last FROM audit_log');
    // (A NUL in the id is refused at the edge for any argument, before the grantee is looked at: input-validation spec.)
    const grantees = ['nobody-here', 'shop-s', 'court-d', 'operator', 'bank-a', 'Not A Partner', 'x'.repeat(300)];
    const answers: Array<Record<string, unknown>> = [];
    for (const grantee of grantees) {
      const res = await gw.as('bank-a', bank, GRANT, { i: { ...base, grantee } });
      answers.push({ grantee, status: res.status, code: codeOf(res), message: res.errors?.[0]?.message, data: res.data });
    }
    for (const a of answers) {
      expect(a).toEqual({ grantee: a.grantee, status: 200, code: 'BAD_USER_INPUT', message: answers[0].message, data: null });
    }
    expect(answers[0].message).toMatch(/^grantee is not an active partner that may receive grants/);
    const audited = await ds.query(`SELECT details FROM audit_log WHERE action = 'grant.create' AND seq > $1 ORDER BY seq`, [last]);
    expect(audited.map((r: { details: Record<string, unknown> }) => r.details)).toEqual(grantees.map(() => ({ outcome: 'error', code: 'BAD_USER_INPUT', message: answers[0].message })));
    // An acceptable grantee still gets its grant.
    const ok = await gw.as('bank-a', bank, GRANT, { i: { ...base, grantee: 'shop-b' } });
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.grantAccess).toMatchObject({ grantee: 'shop-b', active: true });
  });
});
