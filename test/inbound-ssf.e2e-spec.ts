import { importJWK, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { codeOf, TestDatabase, TestGateway } from './support/app';
import { assertion, jwksOf, makeKey, TestKey } from './support/keys';
import { SUBJECT } from './support/sets';

/**
 * Issue 14 over HTTP against PostgreSQL: a standard SSF transmitter (RS256, an https `iss`, an
 * `aud` array, a static push token) pushes RISC and SSF events to POST /events unmodified.
 */
const SET_TYPE = 'application/secevent+jwt';
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';
const BANK_ISS = 'https://idp.bank-a.example/';
const SHOP_ISS = 'https://risk.shop-b.example/tenant/7';

describe('inbound SSF: standard transmitters push unmodified (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let bankKey: TestKey;
  let shopKey: TestKey;
  let bankToken: string;
  let bankTokenId: string;
  let opToken: string;

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0' });
    bankKey = await makeKey('bank-a-idp-rs1', 'RS256');
    // The bank registers its SSF identity at registration; the shop gets its own later from the operator.
    const reg = await gw.asOperator('mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { id ssfIssuer maxIatAgeSeconds } }', {
      i: { id: 'bank-a', name: 'Bank A', kind: 'BANK', jwks: jwksOf(bankKey), ssfIssuer: BANK_ISS, maxIatAgeSeconds: 14 * 86_400 },
    });
    expect(reg.data).toEqual({ registerPartner: { id: 'bank-a', ssfIssuer: BANK_ISS, maxIatAgeSeconds: 1_209_600 } });
    shopKey = await gw.registerPartner('shop-b', 'ECOMMERCE');
    const upd = await gw.asOperator('mutation($i: UpdatePartnerSsfInput!) { updatePartnerSsf(input: $i) { id ssfIssuer } }', { i: { partnerId: 'shop-b', ssfIssuer: SHOP_ISS, maxIatAgeSeconds: null } });
    expect(upd.data).toEqual({ updatePartnerSsf: { id: 'shop-b', ssfIssuer: SHOP_ISS } });

    const mine = await gw.as('bank-a', bankKey, 'mutation { createPushToken(input: { label: "IdP transmitter" }) { token pushToken { id partnerId hint label status createdBy } } }');
    bankToken = mine.data!.createPushToken.token;
    bankTokenId = mine.data!.createPushToken.pushToken.id;
    expect(bankToken).toMatch(/^rxp_[A-Za-z0-9_-]{54}$/);
    expect(mine.data!.createPushToken.pushToken).toMatchObject({ partnerId: 'bank-a', hint: bankToken.slice(0, 12), label: 'IdP transmitter', status: 'ACTIVE', createdBy: 'bank-a' });
    const byOperator = await gw.asOperator('mutation { createPushToken(input: { partnerId: "bank-a" }) { token pushToken { createdBy } } }');
    opToken = byOperator.data!.createPushToken.token;
    expect(byOperator.data!.createPushToken.pushToken.createdBy).toBe('operator');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  /** A SET as a standard transmitter signs it: its https issuer, an aud array, RS256 or its own alg. */
  async function standardSet(key: TestKey, iss: string, type: string, payload: Record<string, unknown>, o: { jti?: string; iat?: number; subId?: Record<string, unknown> | null } = {}) {
    const claims: Record<string, unknown> = {
      iss, aud: ['https://another-receiver.example', 'risk-exchange'], iat: o.iat ?? Math.floor(Date.now() / 1000), jti: o.jti ?? randomUUID(),
      events: { [type]: payload },
    };
    if (o.subId !== null) claims.sub_id = o.subId ?? { format: 'opaque', id: SUBJECT };
    return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'secevent+jwt' }).sign(await importJWK(key.privateJwk, key.alg));
  }
  const push = (token: string, set: string) => fetch(`${gw.url}/events`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': SET_TYPE }, body: set });
  const myEvents = async (key: TestKey, partner: string) =>
    (await gw.as(partner, key, '{ myEvents(first: 100) { edges { node { id jti type category action score confidence reasonCodes distribution status targetJti details } } } }')).data!.myEvents.edges.map(
      (e: { node: Record<string, unknown> }) => e.node,
    );

  it('stores an RS256 SET with an https iss and an aud array posted with a push token; a re-signed copy is a DUPLICATE with the same id', async () => {
    const jti = randomUUID();
    const iat = Math.floor(Date.now() / 1000) - 120;
    const first = await push(bankToken, await standardSet(bankKey, BANK_ISS, `${RISC}credential-compromise`, { credential_type: 'password' }, { jti, iat }));
    expect(first.status).toBe(202);
    const stored = (await myEvents(bankKey, 'bank-a')).filter((e: { jti: string }) => e.jti === jti);
    // The README's table: credential-compromise is an account_takeover signal, 0.7 at confidence 0.8, shared as granted.
    expect(stored).toEqual([
      expect.objectContaining({
        type: 'RISK_SIGNAL', category: 'account_takeover', score: 0.7, confidence: 0.8, reasonCodes: ['risc_credential_compromise'], distribution: 'granted', status: 'ACTIVE',
        details: JSON.stringify({ mapped_from: `${RISC}credential-compromise` }),
      }),
    ]);
    // The transmitter retries with a fresh signature and iat: the same event, by both ways in.
    const again = await standardSet(bankKey, BANK_ISS, `${RISC}credential-compromise`, { credential_type: 'password' }, { jti, iat: iat + 60 });
    expect((await push(bankToken, again)).status).toBe(202);
    const viaGraphql = await gw.as('bank-a', bankKey, 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status eventId } }', { t: [again] });
    expect(viaGraphql.data!.publishEvents).toEqual([{ status: 'DUPLICATE', eventId: stored[0].id }]);
    expect((await myEvents(bankKey, 'bank-a')).filter((e: { jti: string }) => e.jti === jti)).toHaveLength(1);
  });

  it("refuses a push token carrying another partner's SET with access_denied, and still takes the partner's own", async () => {
    const shopSet = await standardSet(shopKey, SHOP_ISS, `${RISC}account-disabled`, { reason: 'hijacking' });
    const refused = await push(bankToken, shopSet);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ err: 'access_denied', description: `this push token is partner "bank-a"'s: a SET whose iss is "${SHOP_ISS}" cannot be posted with it` });
    // By its partner id too, and signed with the bank's own key: the token is the bank's, the SET names the shop.
    const named = await push(bankToken, await standardSet(bankKey, 'shop-b', `${RISC}account-disabled`, {}));
    expect(((await named.json()) as { err: string }).err).toBe('access_denied');
    expect((await myEvents(shopKey, 'shop-b')).length).toBe(0);
    // The shop's own token takes the shop's SET.
    const shopToken = (await gw.as('shop-b', shopKey, 'mutation { createPushToken(input: {}) { token } }')).data!.createPushToken.token;
    expect((await push(shopToken, shopSet)).status).toBe(202);
    expect(await myEvents(shopKey, 'shop-b')).toEqual([expect.objectContaining({ type: 'RISK_SIGNAL', category: 'account_takeover', score: 0.9, confidence: 0.9, reasonCodes: ['risc_account_disabled_hijacking'] })]);
  });

  it('refuses a revoked push token with 401 and an RFC 6750 challenge; the next request with a valid one passes', async () => {
    const revoked = await gw.as('bank-a', bankKey, 'mutation($id: ID!) { revokePushToken(id: $id) { id status revokedBy } }', { id: bankTokenId });
    expect(revoked.data!.revokePushToken).toEqual({ id: bankTokenId, status: 'REVOKED', revokedBy: 'bank-a' });
    const set = await standardSet(bankKey, BANK_ISS, `${RISC}credential-compromise`, { credential_type: 'pin' });
    const refused = await push(bankToken, set);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe(
      `Bearer realm="risk-exchange", error="invalid_token", error_description="authentication failed (push-token-revoked): push token ${bankToken.slice(0, 12)}... was revoked; use another one"`,
    );
    expect(await refused.json()).toEqual({ err: 'authentication_failed', description: expect.stringMatching(/push-token-revoked/) });
    const unknown = await push(`rxp_${'A'.repeat(54)}`, set);
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toMatch(/^Bearer realm="risk-exchange", error="invalid_token", error_description="authentication failed: the push token is unknown/);
    const none = await fetch(`${gw.url}/events`, { method: 'POST', headers: { 'content-type': SET_TYPE }, body: set });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="risk-exchange"'); // no credentials: no error code (RFC 6750 section 3.1)
    const badAssertion = await fetch(`${gw.url}/events`, { method: 'POST', headers: { authorization: 'Bearer not-a-jwt', 'content-type': SET_TYPE }, body: set });
    expect(badAssertion.headers.get('www-authenticate')).toMatch(/^Bearer realm="risk-exchange", error="invalid_token", error_description="authentication failed: send/);
    expect((await push(opToken, set)).status).toBe(202);
    // Listed without secrets; the revoked one says so.
    const list = await gw.as('bank-a', bankKey, '{ pushTokens { totalCount edges { node { id hint status } } } }');
    expect(list.data!.pushTokens.totalCount).toBe(2);
    expect(JSON.stringify(list.data)).not.toContain(bankToken);
    expect(list.data!.pushTokens.edges.find((e: { node: { id: string } }) => e.node.id === bankTokenId).node.status).toBe('REVOKED');
  });

  it('answers a verification event 202, stores nothing and audits it; unmapped types likewise', async () => {
    const before = (await myEvents(bankKey, 'bank-a')).length;
    const verification = await standardSet(bankKey, BANK_ISS, VERIFICATION, { state: 'state-123' }, { subId: { format: 'opaque', id: 'f67e39a0a4d34d56' } });
    expect((await push(opToken, verification)).status).toBe(202);
    const sessionRevoked = await standardSet(bankKey, BANK_ISS, 'https://schemas.openid.net/secevent/caep/event-type/session-revoked', {});
    expect((await push(opToken, sessionRevoked)).status).toBe(202);
    expect((await myEvents(bankKey, 'bank-a')).length).toBe(before);
    const audit = await gw.asOperator('{ auditLog(first: 10, filter: { action: "events.ignore", actor: "bank-a" }) { edges { node { details } } } }');
    const ignored = audit.data!.auditLog.edges.flatMap((e: { node: { details: string } }) => JSON.parse(e.node.details).events);
    expect(ignored).toEqual(
      expect.arrayContaining([
        { jti: expect.any(String), type: VERIFICATION, reason: 'control' },
        { jti: expect.any(String), type: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked', reason: 'unmapped' },
      ]),
    );
    // GraphQL says IGNORED for the same thing.
    const viaGraphql = await gw.as('bank-a', bankKey, 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status eventId } }', { t: [verification] });
    expect(viaGraphql.data!.publishEvents).toEqual([{ status: 'IGNORED', eventId: null }]);
  });

  it('maps RISC account-disabled to a freeze flag and account-enabled to its lift', async () => {
    const subject = 'v1:AAAAbbbbCCCCddddEEEEffffGGGGhhhhIIIIjjjjKKK';
    const disabled = await standardSet(bankKey, BANK_ISS, `${RISC}account-disabled`, { reason: 'bulk-account' }, { subId: { format: 'opaque', id: subject } });
    expect((await push(opToken, disabled)).status).toBe(202);
    const enabled = await standardSet(bankKey, BANK_ISS, `${RISC}account-enabled`, {}, { subId: { format: 'opaque', id: subject } });
    expect((await push(opToken, enabled)).status).toBe(202);
    const events = await myEvents(bankKey, 'bank-a');
    const flag = events.find((e: { type: string; reasonCodes: string[] }) => e.type === 'ACCOUNT_FLAG' && e.reasonCodes.includes('risc_bulk_account'));
    expect(flag).toMatchObject({ action: 'freeze', distribution: 'consortium', status: 'LIFTED' });
    expect(events.find((e: { type: string }) => e.type === 'FLAG_LIFTED')).toMatchObject({ targetJti: flag.jti, reasonCodes: ['risc_account_enabled'] });
    // Nothing left to lift: answered, not stored.
    const again = await standardSet(bankKey, BANK_ISS, `${RISC}account-enabled`, {}, { subId: { format: 'opaque', id: subject } });
    const res = await gw.as('bank-a', bankKey, 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status } }', { t: [again] });
    expect(res.data!.publishEvents).toEqual([{ status: 'IGNORED' }]);
    // Disabled and enabled again in one batch: the lift targets the freeze of the same batch.
    const batchSubject = 'v1:batchBBBBccccDDDDeeeeFFFFggggHHHHiiiiJJJ';
    const pair = [
      await standardSet(bankKey, BANK_ISS, `${RISC}account-disabled`, {}, { subId: { format: 'opaque', id: batchSubject } }),
      await standardSet(bankKey, BANK_ISS, `${RISC}account-enabled`, {}, { subId: { format: 'opaque', id: batchSubject } }),
    ];
    const batch = await gw.as('bank-a', bankKey, 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status jti } }', { t: pair });
    expect(batch.data!.publishEvents.map((r: { status: string }) => r.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
    const after = await myEvents(bankKey, 'bank-a');
    expect(after.find((e: { jti: string }) => e.jti === batch.data!.publishEvents[0].jti)).toMatchObject({ status: 'LIFTED' });
    expect(after.find((e: { jti: string }) => e.jti === batch.data!.publishEvents[1].jti)).toMatchObject({ type: 'FLAG_LIFTED', targetJti: batch.data!.publishEvents[0].jti });
  });

  it('refuses an e-mail subject with the explanation of the pseudonymous id, then takes the opaque one', async () => {
    const email = await standardSet(bankKey, BANK_ISS, `${RISC}credential-compromise`, { credential_type: 'password' }, { subId: { format: 'email', email: 'joe@example.com' } });
    const refused = await push(opToken, email);
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { err: string; description: string };
    expect(body.err).toBe('invalid_request');
    expect(body.description).toMatch(/^sub_id must be \{"format":"opaque","id":\.\.\.\}; the gateway takes pseudonymous subjects only: make the id "v1:" \+ base64url\(HMAC-SHA256\(linkage key, kind \+ ":" \+ normalized value\)\)/);
    expect((await push(opToken, await standardSet(bankKey, BANK_ISS, `${RISC}credential-compromise`, { credential_type: 'password' }))).status).toBe(202);
  });

  it('keeps push tokens to their partner and to POST /events, and an ssfIssuer to one partner', async () => {
    const otherList = await gw.as('shop-b', shopKey, '{ pushTokens(partnerId: "bank-a") { totalCount } }');
    expect(codeOf(otherList)).toBe('FORBIDDEN');
    const otherRevoke = await gw.as('shop-b', shopKey, 'mutation($id: ID!) { revokePushToken(id: $id) { id } }', { id: bankTokenId });
    expect(codeOf(otherRevoke)).toBe('NOT_FOUND');
    const forOperator = await gw.asOperator('mutation { createPushToken(input: {}) { token } }');
    expect(forOperator.errors?.[0].message).toMatch(/kind OPERATOR, which may not publish/);
    const onGraphql = await gw.gql('{ me { id } }', {}, opToken);
    expect(onGraphql.status).toBe(401);
    const taken = await gw.asOperator('mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { id } }', {
      i: { id: 'bank-z', name: 'Bank Z', kind: 'BANK', jwks: jwksOf(await makeKey('bank-z-k1')), ssfIssuer: BANK_ISS },
    });
    expect(codeOf(taken)).toBe('CONFLICT');
    const bad = await gw.asOperator('mutation { updatePartnerSsf(input: { partnerId: "shop-b", ssfIssuer: "http://plain.example", maxIatAgeSeconds: 60 }) { id } }');
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    // The positive ends: the shop lists its own tokens, and a fresh issuer registers.
    expect((await gw.as('shop-b', shopKey, '{ pushTokens { totalCount } }')).data!.pushTokens.totalCount).toBe(1);
    const fresh = await gw.asOperator('mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { id ssfIssuer } }', {
      i: { id: 'bank-z', name: 'Bank Z', kind: 'BANK', jwks: jwksOf(await makeKey('bank-z-k1')), ssfIssuer: 'https://idp.bank-z.example' },
    });
    expect(fresh.data!.registerPartner).toEqual({ id: 'bank-z', ssfIssuer: 'https://idp.bank-z.example' });
    expect((await gw.gql('{ me { id } }', {}, await assertion(bankKey, 'bank-a'))).data).toEqual({ me: { id: 'bank-a' } });
  });
});
