import { codeOf, TestDatabase, TestGateway } from './support/app';
import { assertion, jwksOf, makeKey } from './support/keys';
import vectors from './fixtures/vectors.json';

const ME = '{ me { id name kind status trustWeight keys { kid alg status revokedAt } } }';
const REGISTER = 'mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { id kind trustWeight keys { kid alg } } }';
const ADD_KEY = 'mutation($p: ID!, $jwk: String!) { addPartnerKey(partnerId: $p, jwk: $jwk) { id keys { kid status } } }';
const REVOKE_KEY = 'mutation($p: ID!, $kid: String!) { revokePartnerKey(partnerId: $p, kid: $kid) { id keys { kid status } } }';

describe('partners and keys (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db);
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it('bootstraps the operator from OPERATOR_JWKS', async () => {
    const res = await gw.asOperator(ME);
    expect(res.errors).toBeUndefined();
    expect(res.data!.me).toMatchObject({ id: 'operator', kind: 'OPERATOR', status: 'ACTIVE', keys: [{ kid: 'operator-test-1', alg: 'EdDSA', status: 'ACTIVE' }] });
  });

  it('registers a BANK with an Ed25519 key; the bank calls `me`', async () => {
    const key = await makeKey('bank-a-ed1');
    const res = await gw.asOperator(REGISTER, { input: { id: 'bank-a', name: 'Bank A', kind: 'BANK', jwks: jwksOf(key), trustWeight: 0.8 } });
    expect(res.errors).toBeUndefined();
    expect(res.data!.registerPartner).toEqual({ id: 'bank-a', kind: 'BANK', trustWeight: 0.8, keys: [{ kid: 'bank-a-ed1', alg: 'EdDSA' }] });
    const me = await gw.as('bank-a', key, ME);
    expect(me.data!.me).toMatchObject({ id: 'bank-a', kind: 'BANK', trustWeight: 0.8 });
  });

  it('accepts ES256 and PS256 keys and defaults trustWeight to 0.5', async () => {
    const es = await makeKey('shop-es', 'ES256');
    const ps = await makeKey('shop-ps', 'PS256');
    const res = await gw.asOperator(REGISTER, { input: { id: 'shop-b', name: 'Shop B', kind: 'ECOMMERCE', jwks: jwksOf(es, ps) } });
    expect(res.errors).toBeUndefined();
    expect(res.data!.registerPartner.trustWeight).toBe(0.5);
    expect((await gw.as('shop-b', es, ME)).data!.me.id).toBe('shop-b');
    expect((await gw.as('shop-b', ps, ME)).data!.me.id).toBe('shop-b');
  });

  it.each(vectors.refused_at_registration.map((v) => [v.name, v.jwk] as const))('refuses the %s key at registration', async (name, jwk) => {
    const res = await gw.asOperator(REGISTER, { input: { id: `refused-${name}`.slice(0, 60), name: 'x', kind: 'BANK', jwks: JSON.stringify({ keys: [jwk] }) } });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].message).toMatch(/^jwks: keys\[0\]: /);
    // ...and nothing was stored, while a valid registration still works.
    expect((await gw.asOperator('query($id: ID!) { partner(id: $id) { id } }', { id: `refused-${name}`.slice(0, 60) })).data!.partner).toBeNull();
    const ok = await gw.asOperator(REGISTER, { input: { id: `ok-${name}`.slice(0, 60), name: 'ok', kind: 'BANK', jwks: jwksOf(await makeKey('k')) } });
    expect(ok.errors).toBeUndefined();
  });

  it('validates id, name, trustWeight and the JWKS text, naming the field', async () => {
    const jwks = jwksOf(await makeKey('v1'));
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ id: 'Bad_Id', name: 'x', kind: 'BANK', jwks }, /^id must match/],
      [{ id: 'a', name: 'x', kind: 'BANK', jwks }, /^id must match/],
      [{ id: 'valid-id', name: '', kind: 'BANK', jwks }, /^name must be/],
      [{ id: 'valid-id', name: 'x', kind: 'BANK', jwks, trustWeight: 1.5 }, /^trustWeight must be in \[0, 1\]/],
      [{ id: 'valid-id', name: 'x', kind: 'BANK', jwks: 'not json' }, /^jwks: not valid JSON/],
      [{ id: 'valid-id', name: 'x', kind: 'BANK', jwks: '{"keys":[]}' }, /non-empty "keys"/],
    ];
    for (const [input, message] of cases) {
      const res = await gw.asOperator(REGISTER, { input });
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(res.errors![0].message).toMatch(message);
    }
    const bad = await gw.asOperator(REGISTER, { input: { id: 'valid-id', name: 'x', kind: 'NOT_A_KIND', jwks } });
    expect(bad.errors![0].message).toMatch(/NOT_A_KIND/);
    const ok = await gw.asOperator(REGISTER, { input: { id: 'valid-id', name: 'x', kind: 'BANK', jwks } });
    expect(ok.errors).toBeUndefined();
  });

  it('refuses a second partner with the same id (CONFLICT) and keeps the first', async () => {
    const res = await gw.asOperator(REGISTER, { input: { id: 'bank-a', name: 'Impostor', kind: 'BANK', jwks: jwksOf(await makeKey('x')) } });
    expect(codeOf(res)).toBe('CONFLICT');
    const list = await gw.asOperator('query($id: ID!) { partner(id: $id) { name } }', { id: 'bank-a' });
    expect(list.data!.partner.name).toBe('Bank A');
  });

  it('lets a partner rotate its own keys, and refuses revoking its last active key', async () => {
    const k1 = await gw.registerPartner('rotator', 'INTERNAL_SCORER');
    const k2 = await makeKey('rotator-k2', 'ES256');
    const added = await gw.as('rotator', k1, ADD_KEY, { p: 'rotator', jwk: JSON.stringify(k2.publicJwk) });
    expect(added.errors).toBeUndefined();
    const reused = await gw.as('rotator', k1, ADD_KEY, { p: 'rotator', jwk: JSON.stringify(k2.publicJwk) });
    expect(codeOf(reused)).toBe('CONFLICT');
    const revoked = await gw.as('rotator', k2, REVOKE_KEY, { p: 'rotator', kid: k1.kid });
    expect(revoked.data!.revokePartnerKey.keys).toEqual([
      { kid: k1.kid, status: 'REVOKED' },
      { kid: 'rotator-k2', status: 'ACTIVE' },
    ]);
    // The revoked key is refused from the very next request...
    const old = await gw.as('rotator', k1, ME);
    expect(codeOf(old)).toBe('UNAUTHENTICATED');
    expect(old.status).toBe(401);
    expect(old.errors![0].message).toMatch(/revoked/);
    // ...the last active key cannot be revoked by the partner itself...
    const last = await gw.as('rotator', k2, REVOKE_KEY, { p: 'rotator', kid: 'rotator-k2' });
    expect(codeOf(last)).toBe('BAD_USER_INPUT');
    expect(last.errors![0].message).toMatch(/last active key/);
    // ...and the new key still works.
    expect((await gw.as('rotator', k2, ME)).data!.me.id).toBe('rotator');
  });

  it("refuses managing another partner's keys unless operator", async () => {
    const kx = await gw.registerPartner('bank-x', 'BANK');
    const ky = await gw.registerPartner('bank-y', 'BANK');
    const intruder = await makeKey('intruder');
    const res = await gw.as('bank-x', kx, ADD_KEY, { p: 'bank-y', jwk: JSON.stringify(intruder.publicJwk) });
    expect(codeOf(res)).toBe('FORBIDDEN');
    const rev = await gw.as('bank-x', kx, REVOKE_KEY, { p: 'bank-y', kid: ky.kid });
    expect(codeOf(rev)).toBe('FORBIDDEN');
    expect((await gw.as('bank-y', ky, ME)).data!.me.keys).toHaveLength(1);
    // The operator may add a key to anyone.
    const op = await gw.asOperator(ADD_KEY, { p: 'bank-y', jwk: JSON.stringify(intruder.publicJwk) });
    expect(op.data!.addPartnerKey.keys).toHaveLength(2);
  });

  it('caps active keys per partner at 20, and a revoked one frees a place', async () => {
    const first = await gw.registerPartner('many-keys', 'BANK');
    for (let i = 2; i <= 20; i++) {
      const k = await makeKey(`mk-${i}`);
      expect((await gw.as('many-keys', first, ADD_KEY, { p: 'many-keys', jwk: JSON.stringify(k.publicJwk) })).errors).toBeUndefined();
    }
    const extra = await makeKey('mk-21');
    const refused = await gw.as('many-keys', first, ADD_KEY, { p: 'many-keys', jwk: JSON.stringify(extra.publicJwk) });
    expect(codeOf(refused)).toBe('BAD_USER_INPUT');
    expect(refused.errors![0].message).toMatch(/already has 20 active keys/);
    await gw.as('many-keys', first, REVOKE_KEY, { p: 'many-keys', kid: 'mk-2' });
    expect((await gw.as('many-keys', first, ADD_KEY, { p: 'many-keys', jwk: JSON.stringify(extra.publicJwk) })).errors).toBeUndefined();
  });

  it('suspends and reactivates a partner; a suspended partner is refused at once', async () => {
    const key = await gw.registerPartner('legal-1', 'LEGAL');
    const sus = await gw.asOperator('mutation { suspendPartner(id: "legal-1") { status } }');
    expect(sus.data!.suspendPartner.status).toBe('SUSPENDED');
    const refused = await gw.as('legal-1', key, ME);
    expect(codeOf(refused)).toBe('UNAUTHENTICATED');
    expect(refused.errors![0].message).toMatch(/suspended/);
    const again = await gw.asOperator('mutation { suspendPartner(id: "legal-1") { status } }');
    expect(codeOf(again)).toBe('CONFLICT');
    const self = await gw.asOperator('mutation { suspendPartner(id: "operator") { status } }');
    expect(codeOf(self)).toBe('BAD_USER_INPUT');
    const re = await gw.asOperator('mutation { reactivatePartner(id: "legal-1") { status } }');
    expect(re.data!.reactivatePartner.status).toBe('ACTIVE');
    expect((await gw.as('legal-1', key, ME)).data!.me.status).toBe('ACTIVE');
    const unknown = await gw.asOperator('mutation { suspendPartner(id: "nobody") { status } }');
    expect(codeOf(unknown)).toBe('NOT_FOUND');
  });

  it('pages through partners with cursors', async () => {
    const all: string[] = [];
    let after: string | null = null;
    let total = 0;
    for (let i = 0; i < 20; i++) {
      const res: any = await gw.asOperator('query($after: String) { partners(first: 2, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }', { after });
      expect(res.errors).toBeUndefined();
      const page = res.data.partners;
      total = page.totalCount;
      all.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(typeof total).toBe('number');
    expect(all).toHaveLength(total);
    expect([...all].sort()).toEqual(all);
    expect(new Set(all).size).toBe(all.length);
    const badFirst = await gw.asOperator('{ partners(first: 1000) { totalCount } }');
    expect(codeOf(badFirst)).toBe('BAD_USER_INPUT');
    const badCursor = await gw.asOperator('{ partners(after: "!!") { totalCount } }');
    expect(codeOf(badCursor)).toBe('BAD_USER_INPUT');
  });

  it('refuses operator-only operations to other kinds (FORBIDDEN names the permission)', async () => {
    const key = await gw.registerPartner('shop-z', 'ECOMMERCE');
    const res = await gw.as('shop-z', key, '{ partners { totalCount } }');
    expect(codeOf(res)).toBe('FORBIDDEN');
    expect(res.errors![0].message).toMatch(/ManagePartners/);
    const reg = await gw.as('shop-z', key, REGISTER, { input: { id: 'sneaky', name: 'x', kind: 'OPERATOR', jwks: jwksOf(key) } });
    expect(codeOf(reg)).toBe('FORBIDDEN');
    expect((await gw.as('shop-z', key, ME)).data!.me.id).toBe('shop-z');
  });

  it('never returns private key material', async () => {
    const res = await gw.asOperator('{ partners(first: 100) { edges { node { keys { publicJwk } } } } }');
    const jwks = res.data!.partners.edges.flatMap((e: any) => e.node.keys.map((k: any) => JSON.parse(k.publicJwk)));
    expect(jwks.length).toBeGreaterThan(3);
    for (const jwk of jwks) expect(Object.keys(jwk).filter((m) => ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].includes(m))).toEqual([]);
    expect(await assertion(gw.operatorKey, 'operator')).toBeTruthy();
  });
});
