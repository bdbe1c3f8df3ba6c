import { codeOf, TestDatabase, TestGateway } from './support/app';
import { assertion, makeKey, TestKey } from './support/keys';
import { SignJWT, importJWK } from 'jose';
import { DataSource } from 'typeorm';
import { AuthFailureRecorder } from '../src/audit/auth-failures';

const ME = '{ me { id } }';
/** The one answer to every failure before the signature verifies. */
const SAME = /^authentication failed: send "Authorization: Bearer <assertion>" with an assertion in the form of token profile section 2, signed by an active key registered for your partner id$/;

describe('partner authentication over HTTP (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let key: TestKey;

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db);
    key = await gw.registerPartner('bank-a', 'BANK');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  async function expectRefused(bearer: string | undefined, rule: RegExp) {
    const res = await gw.gql(ME, {}, bearer);
    expect(res.status).toBe(401);
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
    expect(res.errors![0].message).toMatch(rule);
    expect(res.data).toBeNull();
    // The same partner with a good assertion still gets in.
    expect((await gw.as('bank-a', key, ME)).data).toEqual({ me: { id: 'bank-a' } });
  }

  it('accepts a valid assertion', async () => {
    const res = await gw.as('bank-a', key, ME);
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ me: { id: 'bank-a' } });
  });

  it('re-checks a reused assertion against the partner and key status on every request', async () => {
    const partnerKey = await gw.registerPartner('reuser', 'BANK');
    const spare = await makeKey('reuser-spare');
    await gw.asOperator('mutation($jwk: String!) { addPartnerKey(partnerId: "reuser", jwk: $jwk) { id } }', { jwk: JSON.stringify(spare.publicJwk) });
    const token = await assertion(partnerKey, 'reuser');
    expect((await gw.gql(ME, {}, token)).data).toEqual({ me: { id: 'reuser' } });
    expect((await gw.gql(ME, {}, token)).data).toEqual({ me: { id: 'reuser' } }); // served from the verified-assertion memo
    await gw.asOperator('mutation { suspendPartner(id: "reuser") { id } }');
    expect((await gw.gql(ME, {}, token)).errors![0].message).toMatch(/suspended/);
    await gw.asOperator('mutation { reactivatePartner(id: "reuser") { id } }');
    expect((await gw.gql(ME, {}, token)).data).toEqual({ me: { id: 'reuser' } });
    await gw.asOperator(`mutation { revokePartnerKey(partnerId: "reuser", kid: "${partnerKey.kid}") { id } }`);
    expect((await gw.gql(ME, {}, token)).errors![0].message).toMatch(/revoked/);
    expect((await gw.as('reuser', spare, ME)).data).toEqual({ me: { id: 'reuser' } });
  });

  it('refuses a missing or malformed Authorization header, with the one message for every failure before the signature', async () => {
    await expectRefused(undefined, SAME);
    await expectRefused('not-a-jws', SAME);
  });

  it('refuses an expired assertion, naming the rule (it fails after the signature verified)', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await assertion(key, 'bank-a', { iat: now - 400, exp: now - 100 }), /\(exp\).*expired/);
  });

  it('refuses an assertion dated in the future and one that lives over 300 s', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await assertion(key, 'bank-a', { iat: now + 120, exp: now + 300 }), /\(iat\)/);
    await expectRefused(await assertion(key, 'bank-a', { iat: now, exp: now + 301 }), /\(lifetime\)/);
  });

  it('refuses a SET used as an assertion', async () => {
    await expectRefused(await assertion(key, 'bank-a', { typ: 'secevent+jwt' }), SAME);
  });

  it('refuses a wrong audience, iss/sub mismatch, and an unknown kid', async () => {
    await expectRefused(await assertion(key, 'bank-a', { aud: 'other-gateway' }), /\(aud\)/);
    await expectRefused(await assertion(key, 'bank-a', { sub: 'shop-b' }), SAME);
    await expectRefused(await assertion(key, 'bank-a', { kid: 'nope' }), SAME);
    await expectRefused(await assertion(key, 'nobody-here'), SAME);
    await expectRefused(await assertion(key, 'Bad\u0000Id'), SAME);
  });

  it("refuses an assertion signed with another partner's key under this partner's kid", async () => {
    const other = await makeKey(key.kid);
    await expectRefused(await assertion(other, 'bank-a'), SAME);
  });

  it('refuses alg none', async () => {
    const now = Math.floor(Date.now() / 1000);
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${enc({ alg: 'none', kid: key.kid, typ: 'partner-auth+jwt' })}.${enc({ iss: 'bank-a', sub: 'bank-a', aud: 'risk-exchange', iat: now, exp: now + 60 })}.`;
    await expectRefused(token, SAME);
  });

  it('answers every failure before the signature verifies alike, so partner ids and kids cannot be probed; the audit entries keep the rules', async () => {
    const recorder = gw.app.get(AuthFailureRecorder);
    await recorder.flush(true);
    const ds = gw.app.get(DataSource);
    const [{ last }] = await ds.query('SELECT coalesce(max(seq), 0)::int AS last FROM audit_log');
    const stranger = await makeKey(key.kid); // a known kid, the wrong key
    const probes: Array<[string, string | undefined]> = [
      ['no header', undefined],
      ['not a JWS', 'a.b'],
      ['unknown partner', await assertion(stranger, 'nobody-here')],
      ['known partner, unknown kid', await assertion(stranger, 'bank-a', { kid: 'bank-a-unknown' })],
      ['known partner, known kid, wrong key', await assertion(stranger, 'bank-a')],
      ['known partner and kid, wrong alg', await assertion(await makeKey(key.kid, 'ES256'), 'bank-a')],
      ['a SET', await assertion(key, 'bank-a', { typ: 'secevent+jwt' })],
    ];
    const answers = [];
    for (const [what, bearer] of probes) {
      const res = await gw.gql(ME, {}, bearer);
      answers.push({ what, status: res.status, code: codeOf(res), message: res.errors?.[0]?.message });
    }
    for (const a of answers) expect(a).toEqual({ what: a.what, status: 401, code: 'UNAUTHENTICATED', message: answers[0].message });
    expect(answers[0].message).not.toMatch(new RegExp(key.kid));
    // Operators still see why, per rule, in the aggregated audit entries.
    await recorder.flush(true);
    const rows = await ds.query(`SELECT target, details FROM audit_log WHERE action = 'auth.failure' AND seq > $1`, [last]);
    const rules: Record<string, Record<string, number>> = {};
    for (const r of rows as Array<{ target: string; details: { rules: Record<string, number> } }>) {
      for (const [rule, n] of Object.entries(r.details.rules)) (rules[r.target] ??= {})[rule] = (rules[r.target]?.[rule] ?? 0) + n;
    }
    expect(rules).toEqual({ unknown: { bearer: 1, format: 1, kid: 1, typ: 1 }, 'bank-a': { kid: 2, signature: 1 } });
    // After the signature verifies, the rule is named; and the right key still gets in.
    await expectRefused(await assertion(key, 'bank-a', { aud: 'other-gateway' }), /\(aud\): claim aud must be/);
  });

  it('never reads a token from the query string', async () => {
    const token = await assertion(key, 'bank-a');
    const res = await fetch(`${gw.url}/graphql?access_token=${token}&authorization=Bearer%20${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: ME }),
    });
    expect(res.status).toBe(401);
    expect((await gw.as('bank-a', key, ME)).data).toEqual({ me: { id: 'bank-a' } });
  });

  it('executes only POST application/json (GET and form posts are refused)', async () => {
    const token = await assertion(key, 'bank-a');
    const get = await fetch(`${gw.url}/graphql?query=${encodeURIComponent(ME)}`, { headers: { authorization: `Bearer ${token}` } });
    expect(get.status).toBe(405);
    const form = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `query=${encodeURIComponent(ME)}`,
    });
    expect(form.status).toBe(415);
    expect((await gw.gql(ME, {}, token)).data).toEqual({ me: { id: 'bank-a' } });
  });

  it('applies the same rules whatever the spelling of the path', async () => {
    for (const path of ['/gr%61phql', '/graphql?x=1', '/graphql/']) {
      const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect([401, 404]).toContain(res.status);
    }
    // A plain GET that only claims to be an upgrade is a GET: refused, never executed.
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${gw.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { upgrade: 'websocket', connection: 'keep-alive' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(405);
    expect((await gw.as('bank-a', key, ME)).data).toEqual({ me: { id: 'bank-a' } });
  });

  it('limits aliases, fields, depth, document size, and refuses array batching', async () => {
    const aliases = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    const res = await gw.as('bank-a', key, aliases);
    expect(res.errors![0].message).toMatch(/more than 30 aliases/);
    const huge = `{ me { id } } # ${'x'.repeat(70_000)}`;
    expect((await gw.as('bank-a', key, huge)).status).toBe(413);
    const token = await assertion(key, 'bank-a');
    const batch = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify([{ query: ME }, { query: ME }]) });
    expect(batch.status).toBe(400);
    const ok = `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    expect((await gw.as('bank-a', key, ok)).data!.a29).toEqual({ id: 'bank-a' });
  });

  it('serves GraphQL over WebSocket at /graphql only to an authenticated upgrade', async () => {
    const { WebSocket } = await import('ws');
    const wsUrl = gw.url.replace('http', 'ws') + '/graphql';
    const open = (headers: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(wsUrl, 'graphql-transport-ws', { headers });
        ws.on('unexpected-response', (_req, res) => resolve(`http ${res.statusCode}`));
        ws.on('error', () => resolve('error'));
        ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: {} })));
        ws.on('message', (m) => {
          resolve(JSON.parse(String(m)).type);
          ws.close();
        });
      });
    expect(await open({})).toBe('http 401');
    expect(await open({ authorization: `Bearer ${await assertion(key, 'bank-a')}` })).toBe('connection_ack');
  });

  it('refuses introspection without an assertion', async () => {
    const res = await gw.gql('{ __schema { queryType { name } } }');
    expect(res.status).toBe(401);
    const ok = await gw.as('bank-a', key, '{ __schema { queryType { name } } }');
    expect(ok.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('answers a body that is not JSON with a clear 400, without internals', async () => {
    const token = await assertion(key, 'bank-a');
    const res = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"query": ' });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text).toMatch(/not valid JSON/);
    expect(text).not.toMatch(/at .*\.js:\d+/);
    expect((await gw.as('bank-a', key, ME)).data).toEqual({ me: { id: 'bank-a' } });
  });

  it('a revoked key and a suspension reach a second replica within 5 s', async () => {
    const replica = await TestGateway.start(db, {}, gw.operatorKey);
    try {
      const k2 = await makeKey('bank-a-k2');
      await gw.asOperator('mutation($jwk: String!) { addPartnerKey(partnerId: "bank-a", jwk: $jwk) { id } }', { jwk: JSON.stringify(k2.publicJwk) });
      // Warm the second replica's cache with the key about to be revoked.
      expect((await replica.as('bank-a', key, ME)).data).toEqual({ me: { id: 'bank-a' } });
      await gw.asOperator(`mutation { revokePartnerKey(partnerId: "bank-a", kid: "${key.kid}") { id } }`);
      expect(codeOf(await gw.as('bank-a', key, ME))).toBe('UNAUTHENTICATED'); // at once on this replica
      const started = Date.now();
      let refusedAfter = -1;
      while (Date.now() - started < 5000) {
        if (codeOf(await replica.as('bank-a', key, ME)) === 'UNAUTHENTICATED') {
          refusedAfter = Date.now() - started;
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(refusedAfter).toBeGreaterThanOrEqual(0);
      expect((await replica.as('bank-a', k2, ME)).data).toEqual({ me: { id: 'bank-a' } });
      key = k2;
    } finally {
      await replica.close();
    }
  });

  it('the message never contains the assertion or key material', async () => {
    const signed = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'partner-auth+jwt' }).setIssuer('bank-a').setSubject('bank-a').setAudience('x').setIssuedAt().setExpirationTime('1m').sign(await importJWK(key.privateJwk, 'EdDSA'));
    const res = await gw.gql(ME, {}, signed);
    const body = JSON.stringify(res);
    expect(body).not.toContain(signed.split('.')[2]);
    expect(body).not.toContain(key.publicJwk.x as string);
    expect(body).not.toContain(key.privateJwk.d as string);
    expect((await gw.as('bank-a', key, ME)).data).toEqual({ me: { id: 'bank-a' } });
  });
});
