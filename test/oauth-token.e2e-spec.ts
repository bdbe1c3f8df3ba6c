import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { DataSource } from 'typeorm';
import { AuthFailureRecorder } from '../src/audit/auth-failures';
import { sweepClientAssertionJtis } from '../src/auth/oauth/client-assertion-jtis';
import { TestDatabase, TestGateway, usingPostgres } from './support/app';
import { assertion, makeKey, TestKey } from './support/keys';
import { accessToken, ISSUER, postToken, TOKEN_ENDPOINT, tokenParams } from './support/oauth';

describe('OAuth token endpoint: client_credentials with private_key_jwt (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let gw2: TestGateway;
  let key: TestKey;

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { GATEWAY_ISSUER: ISSUER });
    // A second replica on the same database, for the single-use jti (PGlite is single-process: one gateway races itself).
    gw2 = usingPostgres() ? await TestGateway.start(db, { GATEWAY_ISSUER: ISSUER }, gw.operatorKey) : gw;
    key = await gw.registerPartner('bank-a', 'BANK');
  });
  afterAll(async () => {
    if (gw2 !== gw) await gw2?.close();
    await gw?.close();
    await db?.drop();
  });

  /** The same partner with a fresh, good assertion still gets a token. */
  async function expectStillIssued(partnerId = 'bank-a', k: TestKey = key) {
    const ok = await postToken(gw.url, await tokenParams(k, partnerId));
    expect(ok.status).toBe(200);
    expect(ok.body.token_type).toBe('Bearer');
  }

  async function expectRefused(params: Record<string, string>, status: number, error: string, description: RegExp, headers: Record<string, string> = {}) {
    const res = await postToken(gw.url, params, headers);
    expect({ status: res.status, error: res.body.error }).toEqual({ status, error });
    expect(res.body.error_description).toMatch(description);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body.access_token).toBeUndefined();
    await expectStillIssued();
    return res;
  }

  it('publishes RFC 8414 metadata for a client-credentials-only server', async () => {
    const res = await fetch(`${gw.url}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      issuer: ISSUER,
      token_endpoint: TOKEN_ENDPOINT,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      scopes_supported: ['ssf.read', 'ssf.manage'],
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['EdDSA', 'ES256', 'PS256', 'RS256'],
    });
  });

  it('issues an RFC 9068 access token that verifies with the gateway JWKS, and audits it without secrets', async () => {
    const params = await tokenParams(key, 'bank-a', 'ssf.manage ssf.read');
    const res = await postToken(gw.url, params);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 300, scope: 'ssf.read ssf.manage' });
    const jwks = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    const { payload, protectedHeader } = await jwtVerify(res.body.access_token, createLocalJWKSet(jwks as never), { issuer: ISSUER, audience: ISSUER, typ: 'at+jwt', algorithms: ['EdDSA'] });
    expect(protectedHeader).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: jwks.keys[0].kid });
    expect(payload).toEqual({ iss: ISSUER, aud: ISSUER, sub: 'bank-a', client_id: 'bank-a', scope: 'ssf.read ssf.manage', partner_kid: key.kid, iat: expect.any(Number), exp: expect.any(Number), jti: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(payload.exp! - payload.iat!).toBe(300);

    const [entry] = await gw.app.get(DataSource).query(`SELECT actor, action, target, details, concerns FROM audit_log WHERE action = 'oauth.token' AND details->>'token_jti' = $1`, [payload.jti]);
    expect(entry).toMatchObject({ actor: 'bank-a', action: 'oauth.token', target: 'bank-a', concerns: ['bank-a'], details: { kid: key.kid, scope: 'ssf.read ssf.manage' } });
    const written = JSON.stringify(entry);
    expect(written).not.toContain(res.body.access_token.split('.')[2]);
    expect(written).not.toContain(params.client_assertion.split('.')[2]);
  });

  it('accepts the issuer as aud, an aud array, no typ, no iat, and a matching client_id', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const o of [{ aud: ISSUER }, { aud: ['https://elsewhere.example', TOKEN_ENDPOINT] }, { typ: null }, { typ: 'jwt' }, { iat: null, exp: now + 120 }]) {
      const res = await postToken(gw.url, await tokenParams(key, 'bank-a', 'ssf.read', o));
      expect([JSON.stringify(o), res.status, res.body.error_description]).toEqual([JSON.stringify(o), 200, undefined]);
    }
    expect((await postToken(gw.url, { ...(await tokenParams(key, 'bank-a')), client_id: 'bank-a' })).status).toBe(200);
  });

  it('accepts each client assertion once, across replicas', async () => {
    const params = await tokenParams(key, 'bank-a');
    expect((await postToken(gw.url, params)).status).toBe(200);
    await expectRefused(params, 400, 'invalid_client', /\(jti\).*used already/);
    // Two replicas race on one assertion, ten times: exactly one wins each race.
    for (let i = 0; i < 10; i++) {
      const raced = await tokenParams(key, 'bank-a');
      const answers = await Promise.all([postToken(gw.url, raced), postToken(gw2.url, raced), postToken(gw.url, raced), postToken(gw2.url, raced)]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 400, 400, 400]);
    }
    await expectRefused(await tokenParams(key, 'bank-a', 'ssf.read', { jti: null }), 400, 'invalid_client', /\(jti\).*required/);
    await expectStillIssued();
  });

  it('remembers a jti only while its assertion could be accepted: an expired one is taken over, then swept', async () => {
    const ds = gw.app.get(DataSource);
    await ds.query(`INSERT INTO oauth_client_assertion (partner_id, jti, expires_at) VALUES ('bank-a', 'old-1', now() - interval '1 second'), ('bank-a', 'old-2', now() - interval '2 minutes'), ('bank-a', 'live-1', now() + interval '5 minutes')`);
    expect((await postToken(gw.url, await tokenParams(key, 'bank-a', 'ssf.read', { jti: 'old-1' }))).status).toBe(200);
    await expectRefused(await tokenParams(key, 'bank-a', 'ssf.read', { jti: 'live-1' }), 400, 'invalid_client', /used already/);
    expect(await sweepClientAssertionJtis(ds)).toBeGreaterThanOrEqual(1);
    const left = (await ds.query(`SELECT jti FROM oauth_client_assertion WHERE jti IN ('old-1', 'old-2', 'live-1') ORDER BY jti`)) as Array<{ jti: string }>;
    expect(left.map((r) => r.jti)).toEqual(['live-1', 'old-1']);
  });

  it('refuses a revoked key, then issues with the partner\'s other key', async () => {
    const first = await gw.registerPartner('shop-r', 'ECOMMERCE');
    const spare = await makeKey('shop-r-spare');
    await gw.asOperator('mutation($jwk: String!) { addPartnerKey(partnerId: "shop-r", jwk: $jwk) { id } }', { jwk: JSON.stringify(spare.publicJwk) });
    await expectStillIssued('shop-r', first);
    await gw.asOperator(`mutation { revokePartnerKey(partnerId: "shop-r", kid: "${first.kid}") { id } }`);
    await expectRefused(await tokenParams(first, 'shop-r'), 400, 'invalid_client', /\(key-revoked\).*revoked/);
    await expectStillIssued('shop-r', spare);
  });

  it('refuses a wrong audience, naming the token endpoint', async () => {
    await expectRefused(await tokenParams(key, 'bank-a', 'ssf.read', { aud: 'risk-exchange' }), 400, 'invalid_client', /\(aud\).*https:\/\/rx\.example\.test\/oauth\/token/);
    await expectRefused(await tokenParams(key, 'bank-a', 'ssf.read', { aud: 'https://other-gateway.example/oauth/token' }), 400, 'invalid_client', /\(aud\)/);
  });

  it('refuses a missing, empty or unknown scope', async () => {
    const { scope: _omitted, ...noScope } = await tokenParams(key, 'bank-a');
    await expectRefused(noScope, 400, 'invalid_scope', /scope is required.*ssf\.read, ssf\.manage/);
    await expectRefused(await tokenParams(key, 'bank-a', ' '), 400, 'invalid_scope', /scope is required/);
    await expectRefused(await tokenParams(key, 'bank-a', 'ssf.read openid'), 400, 'invalid_scope', /unknown scope "openid"/);
    await expectRefused(await tokenParams(key, 'bank-a', 'ssf.read', { aud: 'wrong' }), 400, 'invalid_client', /\(aud\)/);
  });

  it('refuses an expired, overlong or future-dated assertion', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await tokenParams(key, 'bank-a', 'ssf.read', { iat: now - 400, exp: now - 100 }), 400, 'invalid_client', /\(exp\).*expired/);
    await expectRefused(await tokenParams(key, 'bank-a', 'ssf.read', { iat: now, exp: now + 301 }), 400, 'invalid_client', /\(lifetime\).*300/);
    await expectRefused(await tokenParams(key, 'bank-a', 'ssf.read', { iat: null, exp: now + 3600 }), 400, 'invalid_client', /\(lifetime\)/);
    await expectRefused(await tokenParams(key, 'bank-a', 'ssf.read', { iat: now + 200, exp: now + 260 }), 400, 'invalid_client', /\(iat\)/);
  });

  it('refuses a suspended partner, and issues again once it is reactivated', async () => {
    const k = await gw.registerPartner('bank-s', 'BANK');
    await gw.asOperator('mutation { suspendPartner(id: "bank-s") { id } }');
    await expectRefused(await tokenParams(k, 'bank-s'), 400, 'invalid_client', /\(partner-status\).*suspended/);
    await gw.asOperator('mutation { reactivatePartner(id: "bank-s") { id } }');
    await expectStillIssued('bank-s', k);
  });

  it('refuses another grant type, or none', async () => {
    const params = await tokenParams(key, 'bank-a');
    await expectRefused({ ...params, grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer' }, 400, 'unsupported_grant_type', /client_credentials only/);
    await expectRefused({ ...params, grant_type: 'password' }, 400, 'unsupported_grant_type', /"password" is not supported/);
    const { grant_type: _g, ...noGrant } = params;
    await expectRefused(noGrant, 400, 'invalid_request', /grant_type is required/);
  });

  it('refuses a partner assertion, a SET or an access token as the client assertion (typ confusion)', async () => {
    await expectRefused(await tokenParams(key, 'bank-a', 'ssf.read', { typ: 'partner-auth+jwt' }), 400, 'invalid_client', /\(typ\).*absent or "JWT"/);
    await expectRefused(await tokenParams(key, 'bank-a', 'ssf.read', { typ: 'secevent+jwt' }), 400, 'invalid_client', /\(typ\)/);
    const partnerAssertion = await assertion(key, 'bank-a', { aud: TOKEN_ENDPOINT });
    await expectRefused({ ...(await tokenParams(key, 'bank-a')), client_assertion: partnerAssertion }, 400, 'invalid_client', /\(typ\)/);
    const token = await accessToken(gw.url, key, 'bank-a');
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    await expectRefused({ ...(await tokenParams(key, 'bank-a')), client_assertion: token }, 400, 'invalid_client', /\(typ\)/);
  });

  it('refuses unknown clients and keys with one message that names nothing', async () => {
    const stranger = await makeKey('stranger-1');
    const unknownPartner = await expectRefused(await tokenParams(stranger, 'nobody-here'), 400, 'invalid_client', /^client authentication failed: send a client_assertion/);
    const unknownKid = await expectRefused(await tokenParams(stranger, 'bank-a', 'ssf.read', { kid: key.kid }), 400, 'invalid_client', /^client authentication failed: send/);
    expect(unknownKid.body).toEqual(unknownPartner.body);
    await expectRefused(await tokenParams(key, 'bank-a', 'ssf.read', { sub: 'shop-b' }), 400, 'invalid_client', /\(sub\)/);
    await expectRefused({ ...(await tokenParams(key, 'bank-a')), client_id: 'shop-b' }, 400, 'invalid_client', /client_id must be/);
  });

  it('refuses other client authentication: none, a secret, HTTP authentication', async () => {
    const params = await tokenParams(key, 'bank-a');
    const { client_assertion: _a, client_assertion_type: _t, ...none } = params;
    await expectRefused(none, 400, 'invalid_client', /no client authentication/);
    await expectRefused({ ...none, client_id: 'bank-a', client_secret: 's3cret' }, 400, 'invalid_client', /client_secret is not accepted/);
    await expectRefused({ ...params, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' }, 400, 'invalid_client', /client_assertion_type must be/);
    const basic = await expectRefused(none, 401, 'invalid_client', /HTTP authentication is not supported/, { authorization: `Basic ${Buffer.from('bank-a:x').toString('base64')}` });
    expect(basic.headers.get('www-authenticate')).toBe('Basic realm="risk-exchange"');
  });

  it('refuses a body that is not a small form, before reading it where it can', async () => {
    const params = await tokenParams(key, 'bank-a');
    const json = await fetch(`${gw.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) });
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ error: 'invalid_request', error_description: expect.stringMatching(/application\/x-www-form-urlencoded/) });
    const big = await postToken(gw.url, {}, {}, `${new URLSearchParams(params).toString()}&pad=${'x'.repeat(17 * 1024)}`);
    expect([big.status, big.body.error, big.body.error_description]).toEqual([413, 'invalid_request', expect.stringMatching(/larger than 16384 bytes/)]);
    const repeated = await postToken(gw.url, {}, {}, `${new URLSearchParams(params).toString()}&scope=ssf.manage`);
    expect([repeated.status, repeated.body.error, repeated.body.error_description]).toEqual([400, 'invalid_request', expect.stringMatching(/"scope" is repeated/)]);
    await expectRefused({ ...params, resource: 'https://elsewhere.example' }, 400, 'invalid_target', /resource must be "https:\/\/rx\.example\.test"/);
    expect((await postToken(gw.url, { ...(await tokenParams(key, 'bank-a')), resource: ISSUER })).status).toBe(200);
  });

  it('counts refusals in the auth.failure audit entries by rule, without the assertion', async () => {
    const bad = await tokenParams(key, 'bank-a', 'ssf.read', { aud: 'wrong-audience' });
    await postToken(gw.url, bad);
    await gw.app.get(AuthFailureRecorder).flush(true);
    const rows = (await gw.app.get(DataSource).query(`SELECT details FROM audit_log WHERE action = 'auth.failure' AND target = 'bank-a'`)) as Array<{ details: { rules: Record<string, number> } }>;
    const rules = Object.assign({}, ...rows.map((r) => r.details.rules)) as Record<string, number>;
    expect(rules['oauth-client-aud']).toBeGreaterThanOrEqual(1);
    expect(rules['oauth-client-jti-replay']).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(rows)).not.toContain(bad.client_assertion.split('.')[2]);
    await expectStillIssued();
  });
});
