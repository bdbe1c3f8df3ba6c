import type { DynamicModule, Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createApp } from '../../src/app.factory';
import { AppConfig, loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/observability/logger';
import { assertion, jwksOf, makeKey, TestKey } from './keys';

export const usingPostgres = () => process.env.RX_E2E_DB !== 'pglite';

/** A fresh, empty database for one spec file: a new PostgreSQL database, or PGlite in a temp dir. */
export class TestDatabase {
  private constructor(
    readonly url: string | undefined,
    readonly dataDir: string,
    private readonly name?: string,
  ) {}

  static async create(): Promise<TestDatabase> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-e2e-'));
    if (!usingPostgres()) return new TestDatabase(undefined, dataDir);
    const admin = process.env.TEST_DATABASE_URL as string;
    const name = `rx_e2e_${process.pid}_${randomBytes(4).toString('hex')}`;
    await withClient(admin, (c) => c.query(`CREATE DATABASE ${name}`));
    const url = new URL(admin);
    url.pathname = `/${name}`;
    return new TestDatabase(url.toString(), dataDir, name);
  }

  async drop(): Promise<void> {
    if (this.name) {
      await withClient(process.env.TEST_DATABASE_URL as string, (c) => c.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`));
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } & Record<string, unknown> }>;
}

/** One running gateway (real AppModule, real HTTP) and helpers to call it as a partner. */
export class TestGateway {
  constructor(
    readonly app: NestFastifyApplication,
    readonly url: string,
    readonly config: AppConfig,
    readonly operatorKey: TestKey,
  ) {}

  static async start(db: TestDatabase, env: Record<string, string> = {}, operatorKey?: TestKey, extraImports: Array<Type | DynamicModule> = []): Promise<TestGateway> {
    const opKey = operatorKey ?? (await makeKey('operator-test-1'));
    const config = loadConfig({
      ...(db.url ? { DATABASE_URL: db.url } : {}),
      DATA_DIR: db.dataDir,
      OPERATOR_JWKS: jwksOf(opKey),
      LOG_LEVEL: 'silent',
      HOST: '127.0.0.1',
      PORT: '0',
      // Tokens go through one verifier worker thread in every end-to-end spec, whatever the
      // machine's core count: every verdict the specs check is the pool's.
      VERIFY_WORKERS: '1',
      ...env,
    });
    // An in-process gateway shares the test runner's event loop: lag-based shedding would measure
    // the runner (other specs' work), not the gateway. test/overload.e2e-spec.ts sheds real processes.
    process.env.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS ??= '0';
    const app = await createApp(config, createLogger(config.logLevel), extraImports);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.getHttpServer().address() as { port: number };
    return new TestGateway(app, `http://127.0.0.1:${address.port}`, config, opKey);
  }

  async close(): Promise<void> {
    await this.app.close();
  }

  async gql<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}, bearer?: string): Promise<GraphQLResponse<T>> {
    const res = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T | null; errors?: GraphQLResponse['errors'] };
    return { status: res.status, data: body.data ?? null, errors: body.errors };
  }

  /** Calls as a partner with a fresh assertion signed by `key`. */
  async as<T = Record<string, any>>(partnerId: string, key: TestKey, query: string, variables: Record<string, unknown> = {}) {
    return this.gql<T>(query, variables, await assertion(key, partnerId));
  }

  asOperator<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}) {
    return this.as<T>('operator', this.operatorKey, query, variables);
  }

  /** Registers a partner through the API as the operator and returns its key. */
  async registerPartner(id: string, kind: string, key?: TestKey, trustWeight?: number): Promise<TestKey> {
    const k = key ?? (await makeKey(`${id}-k1`));
    const res = await this.asOperator(
      `mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { id } }`,
      { input: { id, name: `Partner ${id}`, kind, jwks: jwksOf(k), ...(trustWeight !== undefined ? { trustWeight } : {}) } },
    );
    if (res.errors) throw new Error(`registerPartner ${id} failed: ${JSON.stringify(res.errors)}`);
    return k;
  }
}

export const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;
