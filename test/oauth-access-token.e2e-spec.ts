import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { importJWK, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { AuthenticatedPartner } from '../src/auth/authenticated-partner';
import { CurrentPartner, Permissions } from '../src/auth/decorators';
import { Permission } from '../src/auth/permissions';
import { AcceptsAccessToken, SsfScope } from '../src/auth/ssf-scopes.decorator';
import { GatewayKeyService } from '../src/gateway/gateway-key.service';
import { codeOf, TestDatabase, TestGateway } from './support/app';
import { assertion, makeKey, TestKey } from './support/keys';
import { accessToken, ISSUER } from './support/oauth';
import { rawRequest } from './support/raw-http';

const seen = (partner: AuthenticatedPartner) => ({ partner: partner.id, scopes: partner.scopes ?? null });

/** Test-only SSF-like routes behind the real global guard (the SSF routes come with the streams branch). */
@Controller('ssf/probe')
class ProbeController {
  @Get()
  @AcceptsAccessToken(SsfScope.Read)
  @Permissions(Permission.ReadOwnEvents)
  read(@CurrentPartner() partner: AuthenticatedPartner) {
    return seen(partner);
  }

  @Post('manage')
  @HttpCode(200)
  @AcceptsAccessToken(SsfScope.Manage)
  @Permissions(Permission.ReadOwnEvents)
  manage(@CurrentPartner() partner: AuthenticatedPartner, @Body() body: unknown) {
    return { ...seen(partner), body };
  }

  @Get('manage')
  @AcceptsAccessToken(SsfScope.Manage)
  @Permissions(Permission.ReadOwnEvents)
  manageRead(@CurrentPartner() partner: AuthenticatedPartner) {
    return seen(partner);
  }

  @Get('operators')
  @AcceptsAccessToken(SsfScope.Read)
  @Permissions(Permission.ManagePartners)
  operatorsOnly(@CurrentPartner() partner: AuthenticatedPartner) {
    return seen(partner);
  }

  @Get('assertion-only')
  @Permissions(Permission.ReadOwnEvents)
  assertionOnly(@CurrentPartner() partner: AuthenticatedPartner) {
    return seen(partner);
  }
}

/** Marked on the class: every route of it takes access tokens, before the body too. */
@Controller('ssf/class-probe')
@AcceptsAccessToken(SsfScope.Read)
class ClassProbeController {
  @Post()
  @HttpCode(200)
  @Permissions(Permission.ReadOwnEvents)
  post(@CurrentPartner() partner: AuthenticatedPartner) {
    return seen(partner);
  }
}

@Module({ controllers: [ProbeController, ClassProbeController] })
class ProbeModule {}

const ME = '{ me { id } }';

describe('access tokens on the SSF routes (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let key: TestKey;
  let readToken: string;

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { GATEWAY_ISSUER: ISSUER }, undefined, [ProbeModule]);
    key = await gw.registerPartner('bank-a', 'BANK');
    readToken = await accessToken(gw.url, key, 'bank-a', 'ssf.read');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  async function call(path: string, bearer?: string, init: RequestInit = {}) {
    const res = await fetch(`${gw.url}${path}`, { ...init, headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(init.headers as Record<string, string>) } });
    const text = await res.text();
    return { status: res.status, challenge: res.headers.get('www-authenticate'), body: text ? (JSON.parse(text) as Record<string, any>) : null };
  }

  const post = (path: string, bearer: string | undefined, body: unknown) => call(path, bearer, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  /** A token signed by the real gateway key, with claims overridden to build bad ones. */
  async function gatewaySigned(overrides: Record<string, unknown>, typ = 'at+jwt') {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: ISSUER, aud: ISSUER, sub: 'bank-a', client_id: 'bank-a', iat: now, exp: now + 300, jti: randomUUID(), scope: 'ssf.read', partner_kid: key.kid, ...overrides };
    return gw.app.get(GatewayKeyService).signJwt(claims, typ);
  }

  async function expectInvalidToken(bearer: string, description: RegExp) {
    const res = await call('/ssf/probe', bearer);
    expect(res.status).toBe(401);
    expect(res.challenge).toMatch(/^Bearer realm="risk-exchange", error="invalid_token", error_description="[^"]+"$/);
    expect(res.challenge).toMatch(description);
    expect((await call('/ssf/probe', readToken)).status).toBe(200);
  }

  it('passes a valid access token carrying the scope, and the partner assertion too', async () => {
    expect(await call('/ssf/probe', readToken)).toEqual({ status: 200, challenge: null, body: { partner: 'bank-a', scopes: ['ssf.read'] } });
    expect(await call('/ssf/probe', await assertion(key, 'bank-a'))).toEqual({ status: 200, challenge: null, body: { partner: 'bank-a', scopes: null } });
    const both = await accessToken(gw.url, key, 'bank-a', 'ssf.read ssf.manage');
    expect(await post('/ssf/probe/manage', both, { a: 1 })).toEqual({ status: 200, challenge: null, body: { partner: 'bank-a', scopes: ['ssf.read', 'ssf.manage'], body: { a: 1 } } });
    expect((await post('/ssf/probe/manage', await assertion(key, 'bank-a'), { a: 2 })).status).toBe(200);
  });

  it('answers a missing scope with 403 insufficient_scope, before the body and after', async () => {
    for (const res of [await post('/ssf/probe/manage', readToken, { a: 1 }), await call('/ssf/probe/manage', readToken)]) {
      expect(res.status).toBe(403);
      // Before the body, every /ssf/ route answers in the SSF shape {err, description}; after it, the
      // probe (which has no SsfExceptionFilter, unlike the real SSF controller) in the app's shape.
      expect(res.body?.description ?? res.body?.message).toMatch(/lacks the scope ssf\.manage/);
      expect(res.challenge).toBe('Bearer realm="risk-exchange", error="insufficient_scope", error_description="the access token lacks the scope ssf.manage: request it from POST /oauth/token", scope="ssf.manage"');
    }
    expect((await call('/ssf/probe/manage', await accessToken(gw.url, key, 'bank-a', 'ssf.manage'))).status).toBe(200);
  });

  it('answers a request without credentials with a challenge that names no error', async () => {
    for (const res of [await call('/ssf/probe'), await post('/ssf/probe/manage', undefined, {}), await call('/ssf/probe', undefined, { headers: { authorization: 'Basic Zm9vOmJhcg==' } })]) {
      expect(res.status).toBe(401);
      expect(res.challenge).toBe('Bearer realm="risk-exchange"');
    }
    expect((await call('/ssf/probe', readToken)).status).toBe(200);
  });

  it('refuses an expired token, a forged one and one for another issuer or audience with 401 invalid_token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectInvalidToken(await gatewaySigned({ iat: now - 400, exp: now - 100 }), /error_description="authentication failed \(exp\): the access token has expired/);
    await expectInvalidToken(await gatewaySigned({ iss: 'https://other.example' }), /\(iss\)/);
    await expectInvalidToken(await gatewaySigned({ aud: 'risk-exchange' }), /\(aud\)/);
    // Same claims, signed by a partner key instead of the gateway's: not a gateway token.
    const forged = await new SignJWT({ iss: ISSUER, aud: ISSUER, sub: 'bank-a', client_id: 'bank-a', scope: 'ssf.read ssf.manage', partner_kid: key.kid, jti: randomUUID() })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(await importJWK(key.privateJwk, 'EdDSA'));
    await expectInvalidToken(forged, /not a valid access token of this gateway/);
    await expectInvalidToken('a.b', /not a valid access token|authentication failed/);
  });

  it('refuses a token whose partner key was revoked after issuance, and one whose partner was suspended', async () => {
    const first = await gw.registerPartner('shop-r', 'ECOMMERCE');
    const spare = await makeKey('shop-r-spare');
    await gw.asOperator('mutation($jwk: String!) { addPartnerKey(partnerId: "shop-r", jwk: $jwk) { id } }', { jwk: JSON.stringify(spare.publicJwk) });
    const token = await accessToken(gw.url, first, 'shop-r');
    expect((await call('/ssf/probe', token)).status).toBe(200);
    await gw.asOperator(`mutation { revokePartnerKey(partnerId: "shop-r", kid: "${first.kid}") { id } }`);
    const revoked = await call('/ssf/probe', token);
    expect([revoked.status, revoked.challenge]).toEqual([401, expect.stringMatching(/error="invalid_token", error_description="authentication failed \(key-revoked\)/)]);
    const fresh = await accessToken(gw.url, spare, 'shop-r');
    expect((await call('/ssf/probe', fresh)).body).toEqual({ partner: 'shop-r', scopes: ['ssf.read'] });

    await gw.asOperator('mutation { suspendPartner(id: "shop-r") { id } }');
    expect((await call('/ssf/probe', fresh)).challenge).toMatch(/\(partner-status\)/);
    await gw.asOperator('mutation { reactivatePartner(id: "shop-r") { id } }');
    expect((await call('/ssf/probe', fresh)).status).toBe(200);
  });

  it('refuses an access token on GraphQL, on POST /events and on routes that do not take one', async () => {
    const gql = await gw.gql(ME, {}, readToken);
    expect([gql.status, codeOf(gql), gql.errors?.[0].message]).toEqual([401, 'UNAUTHENTICATED', expect.stringMatching(/only for the SSF endpoints/)]);
    const events = await call('/events', readToken, { method: 'POST', headers: { 'content-type': 'application/secevent+jwt' }, body: 'x.y.z' });
    expect([events.status, events.body?.description]).toEqual([401, expect.stringMatching(/only for the SSF endpoints/)]);
    const elsewhere = await call('/ssf/probe/assertion-only', readToken);
    expect([elsewhere.status, elsewhere.body?.message]).toEqual([401, expect.stringMatching(/only for the SSF endpoints/)]);
    // The partner assertion keeps working everywhere.
    expect((await gw.as('bank-a', key, ME)).data).toEqual({ me: { id: 'bank-a' } });
    expect((await call('/ssf/probe/assertion-only', await assertion(key, 'bank-a'))).status).toBe(200);
  });

  it('never reads a token from the query string', async () => {
    const res = await call(`/ssf/probe?access_token=${readToken}`);
    expect(res.status).toBe(400);
    expect(res.challenge).toMatch(/^Bearer realm="risk-exchange", error="invalid_request", error_description="a token in the query string is never read/);
    expect((await call(`/ssf/probe?access_token=${readToken}`, readToken)).status).toBe(400);
    expect((await call('/ssf/probe', readToken)).status).toBe(200);
  });

  it('still runs the partner-kind permission check after the scope', async () => {
    const res = await call('/ssf/probe/operators', readToken);
    expect([res.status, res.body?.message]).toEqual([403, expect.stringMatching(/kind BANK lack the permission ManagePartners/)]);
    expect((await call('/ssf/probe', readToken)).status).toBe(200);
  });

  it('honours the decorator on a controller class, before the body is read', async () => {
    expect(await post('/ssf/class-probe', readToken, {})).toEqual({ status: 200, challenge: null, body: { partner: 'bank-a', scopes: ['ssf.read'] } });
    const none = await post('/ssf/class-probe', undefined, {});
    expect([none.status, none.challenge]).toEqual([401, 'Bearer realm="risk-exchange"']);
    expect((await post('/ssf/class-probe', await assertion(key, 'bank-a'), {})).status).toBe(200);
  });

  it('answers a refused upload to an SSF route before reading its body, with the challenge', async () => {
    const huge = 50 * 1024 * 1024;
    const scopeless = await rawRequest(gw.url, { path: '/ssf/probe/manage', headers: { 'content-type': 'application/json', authorization: `Bearer ${readToken}` }, contentLength: huge, sendBytes: 1024 });
    expect(scopeless).toMatchObject({ status: 403, headers: { connection: 'close', 'www-authenticate': expect.stringContaining('error="insufficient_scope"') } });
    expect(scopeless!.sentBeforeAnswer).toBeLessThan(huge);
    const anonymous = await rawRequest(gw.url, { path: '/ssf/probe/manage', headers: { 'content-type': 'application/json' }, contentLength: huge, sendBytes: 1024 });
    expect(anonymous).toMatchObject({ status: 401, headers: { connection: 'close', 'www-authenticate': 'Bearer realm="risk-exchange"' } });
    // The token endpoint refuses a wrong media type before its body too.
    const json = await rawRequest(gw.url, { path: '/oauth/token', headers: { 'content-type': 'application/json' }, contentLength: huge, sendBytes: 1024 });
    expect(json).toMatchObject({ status: 400, headers: { connection: 'close', 'cache-control': 'no-store' } });
    expect(JSON.parse(json!.body)).toMatchObject({ error: 'invalid_request' });
    const form = await rawRequest(gw.url, { path: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, contentLength: huge, sendBytes: 1024 });
    expect(form).toMatchObject({ status: 413, headers: { connection: 'close', 'cache-control': 'no-store' } });
    expect(JSON.parse(form!.body)).toEqual({ error: 'invalid_request', error_description: 'the body is larger than 16384 bytes' });
    expect((await call('/ssf/probe', readToken)).status).toBe(200);
  });
});
