import { Writable } from 'node:stream';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { codeOf, TestDatabase, TestGateway } from './support/app';
import { assertion, jwksOf, makeKey, TestKey } from './support/keys';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/observability/logger';
import { generateSchemaText, printSortedSchema } from '../src/graphql/print-schema';

describe('health, keys, metrics, logs and the live schema (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let bank: TestKey;
  const logLines: string[] = [];
  const METRICS_TOKEN = 'metrics-token-0123456789';

  beforeAll(async () => {
    db = await TestDatabase.create();
    // Built by hand (to capture its logs), so it needs what TestGateway.start sets: an in-process
    // gateway shares the runner's event loop, and the lag of building the app (the GraphQL schema)
    // on a loaded machine is not the gateway's. test/overload.e2e-spec.ts sheds real processes.
    process.env.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS ??= '0';
    const operatorKey = await makeKey('operator-test-1');
    const config = loadConfig({
      ...(db.url ? { DATABASE_URL: db.url } : {}),
      DATA_DIR: db.dataDir,
      OPERATOR_JWKS: jwksOf(operatorKey),
      LOG_LEVEL: 'info',
      METRICS_TOKEN,
    });
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const app = await createApp(config, createLogger(config.logLevel, sink));
    await app.listen({ port: 0, host: '127.0.0.1' });
    gw = new TestGateway(app, `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`, config, operatorKey);
    bank = await gw.registerPartner('bank-a', 'BANK');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it('GET /health checks the database, without authentication', async () => {
    const res = await fetch(`${gw.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', database: db.url ? 'postgres' : 'pglite' });
  });

  it('serves the gateway public JWKS without private material', async () => {
    const res = await fetch(`${gw.url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const jwks = (await res.json()) as { keys: Array<Record<string, string>> };
    // Ed25519 first, then the RSA-2048 key of RS256 streams; public members only, each with kid/alg/use.
    expect(jwks.keys).toHaveLength(2);
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: expect.any(String) });
    expect(jwks.keys[1]).toMatchObject({ kty: 'RSA', e: 'AQAB', alg: 'RS256', use: 'sig', kid: expect.any(String) });
    expect(Object.keys(jwks.keys[1]).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    for (const k of jwks.keys) expect(k.d).toBeUndefined();
  });

  it('refuses every other route without an assertion', async () => {
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${gw.url}/nothing-here`)).status).toBe(404);
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
  });

  it('serves /metrics with METRICS_TOKEN or an operator assertion, not to a bank', async () => {
    await gw.as('bank-a', bank, '{ me { id } }');
    const withToken = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(withToken.status).toBe(200);
    const text = await withToken.text();
    expect(text).toMatch(/rx_requests_total\{method="POST",route="\/graphql",operation="me",status="200"\} \d+/);
    expect(text).toMatch(/rx_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/graphql",operation="me"\}/);
    const asBank = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${await assertion(bank, 'bank-a')}` } });
    expect(asBank.status).toBe(403);
    const wrong = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } });
    expect(wrong.status).toBe(401);
    const asOperator = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${await assertion(gw.operatorKey, 'operator')}` } });
    expect(asOperator.status).toBe(200);
  });

  it('logs JSON lines with a request id, and never a token or key', async () => {
    const token = await assertion(bank, 'bank-a');
    const res = await fetch(`${gw.url}/graphql?leak=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': 'req-abc-123' },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(res.headers.get('x-request-id')).toBe('req-abc-123');
    await new Promise((r) => setTimeout(r, 50));
    const mine = logLines.filter((l) => l.includes('req-abc-123'));
    expect(mine.length).toBeGreaterThan(0);
    for (const line of logLines) {
      expect(() => JSON.parse(line)).not.toThrow();
      expect(line).not.toContain(token.split('.')[2]);
      expect(line).not.toContain(bank.privateJwk.d as string);
    }
  });

  it('answers GraphQL syntax errors and unknown fields with a clear message and no internals', async () => {
    const syntax = await gw.as('bank-a', bank, '{ me { id ');
    expect(codeOf(syntax)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(syntax.errors![0].message).toMatch(/Syntax Error/);
    const unknown = await gw.as('bank-a', bank, '{ me { password } }');
    expect(unknown.errors![0].message).toMatch(/Cannot query field "password"/);
    expect(JSON.stringify(unknown)).not.toMatch(/\.ts:|\.js:|stack|SELECT /);
    expect((await gw.as('bank-a', bank, '{ me { id } }')).data).toEqual({ me: { id: 'bank-a' } });
  });

  it('serves exactly the schema that schema.graphql holds', async () => {
    const live = printSortedSchema(gw.app.get(GraphQLSchemaHost).schema);
    expect(live).toBe(await generateSchemaText());
  });
});
