import 'reflect-metadata';
import fc from 'fast-check';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import {
  getNamedType,
  GraphQLField,
  GraphQLInputType,
  GraphQLOutputType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { randomUUID } from 'node:crypto';
import { PERMISSIONS_KEY } from '../src/auth/decorators';
import { kindHas, Permission } from '../src/auth/permissions';
import { RESOLVERS } from '../src/graphql/resolvers';
import { PartnerKind } from '../src/partners/partner.enums';
import { GraphQLResponse, TestDatabase, TestGateway } from './support/app';
import { assertion, jwksOf, makeKey, TestKey } from './support/keys';
import { signal, SUBJECT } from './support/sets';

/**
 * Property test over the whole API: every query and mutation of the live schema, every argument
 * (input object fields and list items included), fed arbitrary strings, numbers, dates and cursors,
 * by variable and as literals, as a partner whose kind holds the operation's permission. No answer
 * may be a 5xx or an INTERNAL_SERVER_ERROR, and the gateway must answer a valid call afterwards.
 */

// Bounded so the file stays well under a minute on a loaded machine; FUZZ_RUNS=500 for a longer hunt.
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 12);
const TIMEOUT_MS = 90_000 + RUNS_PER_OPERATION * 30 * 500;
const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const ME = '{ me { id } }';

// Text a partner might send by mistake or on purpose: broken UTF-16, NULs, SQL, unicode, huge values.
const nastyChar = fc.constantFrom('\u0000', '\ud800', '\udfff', "'", '"', '\\', '%', '_', ';', '-', '|', ':', 'a', '0', '\u{1F6A8}', '\u202e', '\n', ' ');
const huge = fc.constantFrom('x'.repeat(70_000), 'é'.repeat(100_000), '\u{1F6A8}'.repeat(30_000), `${'\u0000'.repeat(1000)}`);
const sql = fc.constantFrom("' OR 1=1 --", "2020-01-01'; DROP TABLE event;--", "v1:'||pg_sleep(5)||'", '%', '_%_', '\\x00', '$1', 'NULL', '::uuid');
// Plausible values, so that some calls get past the first check. None of them names a partner whose
// suspension or key revocation would lock the fuzzing callers out (`victim-x` is a sacrificial bank).
const plausible = fc.constantFrom(SUBJECT, 'v1:abc', 'victim-x', 'operator', 'cash_out', 'account_flag', 'BANK', '{"keys":[]}', '{}', '[]', randomUUID(), '0', '-1');
const cursor = fc.oneof(
  fc.tuple(fc.bigInt({ min: 0n, max: 9_999_999_999_999n }), fc.oneof(fc.uuid(), fc.string({ unit: nastyChar, maxLength: 40 }), fc.constant('-'.repeat(36)))).map(([ms, id]) => b64url(`${String(ms).padStart(13, '0')}|${id}`)),
  fc.oneof(fc.bigInt({ min: -1n, max: 10n ** 20n }).map(String), fc.string({ unit: nastyChar, maxLength: 20 })).map(b64url),
  fc.string({ unit: 'binary', maxLength: 30 }).map(b64url),
);
const nastyString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: nastyChar, maxLength: 30 }), weight: 3 },
  { arbitrary: sql, weight: 1 },
  { arbitrary: plausible, weight: 2 },
  { arbitrary: cursor, weight: 2 },
  { arbitrary: huge, weight: 1 },
);
const edgeNumber = fc.constantFrom(0, -0, 1, -1, 20, 100, 101, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, -(2 ** 63), 1e300, -1e300, 5e-324, 0.5, 1.5, 8.6e12, 253402300800);
const nastyNumber: fc.Arbitrary<number> = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), edgeNumber, fc.double({ noNaN: true, noDefaultInfinity: true }));
// Mostly values of the right GraphQL type (small pages get past the cost limit), then anything.
const nastyInt = fc.oneof({ arbitrary: fc.integer({ min: -2, max: 30 }), weight: 5 }, { arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), weight: 2 }, { arbitrary: nastyNumber, weight: 2 });
const nastyFloat = fc.oneof({ arbitrary: fc.double({ min: -0.5, max: 1.5, noNaN: true }), weight: 5 }, { arbitrary: nastyNumber, weight: 3 });
const nastyDate: fc.Arbitrary<unknown> = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), // years -271821..275760
  { arbitrary: fc.integer({ min: -4e11, max: 4e11 }).map((ms) => new Date(Date.now() + ms).toISOString()), weight: 4 }, // near now, both ways
  fc.constantFrom("2020-01-01'; DROP TABLE event;--", '0000-12-31T23:59:59Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '10000-01-01T00:00:00Z', '2020-02-30T00:00:00Z', '2020-01-01', 'now', ''),
  nastyNumber,
  nastyString,
);

/** Values a careful partner would send: ids, subjects and categories that exist (filled in beforeAll). */
let tameStrings: string[] = [];

/** Any JSON value at all, for arguments given the wrong type. */
const wrongType = fc.oneof(nastyNumber, fc.boolean(), nastyString, fc.constant(null), fc.constant([]), fc.constant({}));

function valueFor(type: GraphQLInputType, depth = 0): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return fc.oneof({ arbitrary: valueFor(type.ofType, depth), weight: 20 }, { arbitrary: fc.constant(null), weight: 1 });
  const inner = nullableValueFor(type, depth);
  return fc.oneof({ arbitrary: inner, weight: 6 }, { arbitrary: fc.constant(null), weight: 1 });
}

function nullableValueFor(type: GraphQLInputType, depth: number): fc.Arbitrary<unknown> {
  if (isListType(type)) {
    const item = valueFor(type.ofType, depth + 1);
    return fc.oneof({ arbitrary: fc.array(item, { maxLength: 6 }), weight: 6 }, { arbitrary: item, weight: 1 });
  }
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of fields) model[f.name] = valueFor(f.type, depth + 1);
    const required = fields.filter((f) => isNonNullType(f.type)).map((f) => f.name);
    return fc.oneof({ arbitrary: fc.record(model, { requiredKeys: required }), weight: 20 }, { arbitrary: wrongType, weight: 1 });
  }
  if (isEnumType(type)) return fc.oneof({ arbitrary: fc.constantFrom(...type.getValues().map((v) => v.name)), weight: 10 }, { arbitrary: wrongType, weight: 1 });
  // Each leaf is mostly a tame value, so that calls reach the services with a few nasty values among them.
  const leaf = (tame: fc.Arbitrary<unknown>, nasty: fc.Arbitrary<unknown>) => fc.oneof({ arbitrary: tame, weight: 12 }, { arbitrary: nasty, weight: 8 }, { arbitrary: wrongType, weight: 1 });
  switch (type.name) {
    case 'String':
    case 'ID':
      return leaf(fc.constantFrom(...tameStrings), nastyString);
    case 'Int':
      return leaf(fc.integer({ min: 1, max: 20 }), nastyInt);
    case 'Float':
      return leaf(fc.double({ min: 0, max: 1, noNaN: true }), nastyFloat);
    case 'Boolean':
      return leaf(fc.boolean(), wrongType);
    case 'DateTime':
      return leaf(fc.integer({ min: -4e10, max: 4e10 }).map((ms) => new Date(Date.now() + ms).toISOString()), nastyDate);
    default:
      throw new Error(`the fuzz test has no generator for the scalar ${type.name}: add one`);
  }
}

/** A GraphQL literal for a JSON value (type-aware only for enums), so parseLiteral paths run too. */
function literal(value: unknown, type: GraphQLInputType): string {
  const named = getNamedType(type);
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) {
    const nullable = isNonNullType(type) ? type.ofType : type;
    return `[${value.map((v) => literal(v, isListType(nullable) ? nullable.ofType : type)).join(', ')}]`;
  }
  if (typeof value === 'object') {
    const fields = isInputObjectType(named) ? named.getFields() : {};
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${/^[_A-Za-z][_0-9A-Za-z]*$/.test(k) ? k : 'x'}: ${literal(v, fields[k]?.type ?? named)}`).join(', ')}}`;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return String(value);
  if (isEnumType(named) && named.getValue(value as string)) return value as string;
  return JSON.stringify(value);
}

/** Leaf fields of a type, and one level below (objects), to run the field resolvers as well. */
function selectionOf(type: GraphQLOutputType, depth = 0): string {
  const named = getNamedType(type);
  if (isLeafType(named) || !isObjectType(named)) return '';
  const parts = ['__typename'];
  for (const field of Object.values(named.getFields())) {
    if (field.args.some((a) => isNonNullType(a.type))) continue;
    const inner = getNamedType(field.type);
    if (isLeafType(inner)) parts.push(field.name);
    else if (depth < 2) parts.push(`${field.name} ${selectionOf(field.type, depth + 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}

function permissionsOf(): Map<string, Permission[]> {
  const found = new Map<string, Permission[]>();
  for (const resolver of RESOLVERS) {
    const proto = resolver.prototype as Record<string, object>;
    for (const method of Object.getOwnPropertyNames(proto)) {
      const type = Reflect.getMetadata('graphql:resolver_type', proto[method]) as string | undefined;
      if (!type) continue;
      const name = (Reflect.getMetadata('graphql:resolver_name', proto[method]) as string | undefined) ?? method;
      found.set(`${type}.${name}`, (Reflect.getMetadata(PERMISSIONS_KEY, proto[method]) as Permission[]) ?? []);
    }
  }
  return found;
}

/** Never a server failure: no 5xx, no INTERNAL_SERVER_ERROR, and a GraphQL-shaped body. */
function expectNoServerError(res: GraphQLResponse, what: string) {
  const internal = res.errors?.find((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR');
  if (res.status >= 500 || internal) throw new Error(`${what} answered ${res.status}: ${JSON.stringify(res.errors).slice(0, 500)}`);
  expect(res.data !== null || (res.errors?.length ?? 0) > 0).toBe(true);
}

describe('arbitrary input to every argument of every operation never gives a 500 (e2e, property)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let bank: TestKey;
  const callers: Record<string, (q: string, v: Record<string, unknown>) => Promise<GraphQLResponse>> = {};
  const operations: Array<{ kind: 'query' | 'mutation'; field: GraphQLField<unknown, unknown>; caller: 'bank-a' | 'court-a' | 'operator' }> = [];

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0', RATE_LIMIT_COST_PER_MINUTE: 'BANK=100000000,OPERATOR=100000000,LEGAL=100000000', LOG_LEVEL: process.env.FUZZ_LOG ?? 'silent' });
    bank = await gw.registerPartner('bank-a', 'BANK');
    const victimKey = await makeKey('victim-x-2');
    await gw.registerPartner('victim-x', 'BANK');
    const victimJwks = jwksOf(victimKey);
    // One assertion per caller, renewed each minute (they live 120 s): signing one per call would
    // spend a third of the run on signatures.
    const caller = (id: string, key: TestKey) => {
      let token = { value: '', at: 0 };
      return async (q: string, v: Record<string, unknown>) => {
        if (Date.now() - token.at > 60_000) token = { value: await assertion(key, id), at: Date.now() };
        return gw.gql(q, v, token.value);
      };
    };
    callers['bank-a'] = caller('bank-a', bank);
    callers.operator = caller('operator', gw.operatorKey);
    // Operations only a LEGAL partner holds (legal requests) are fuzzed as a court.
    callers['court-a'] = caller('court-a', await gw.registerPartner('court-a', 'LEGAL'));
    // Something to page through and score, so cursors, filters and scores meet real rows.
    const seeded = await callers['bank-a']('mutation($t: [String!]!) { publishEvents(tokens: $t) { status eventId } }', { t: [await signal(bank, 'bank-a'), await signal(bank, 'bank-a', { category: 'money_mule' })] });
    expect(seeded.data!.publishEvents.map((r: { status: string }) => r.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
    const page = await callers['bank-a']('{ myEvents(first: 1) { edges { cursor } } }', {});
    tameStrings = [
      // Not `bank-a`: suspendPartner would lock the fuzzing bank out for the rest of the run.
      SUBJECT, 'victim-x', 'cash_out', 'account_flag', 'money_mule', 'fraud ops', 'events.publish', victimJwks, bank.kid,
      ...seeded.data!.publishEvents.map((r: { eventId: string }) => r.eventId), page.data!.myEvents.edges[0].cursor, await signal(bank, 'bank-a'),
    ];

    const schema = gw.app.get(GraphQLSchemaHost).schema;
    const permissions = permissionsOf();
    for (const [kind, root] of [['query', schema.getQueryType()], ['mutation', schema.getMutationType()]] as const) {
      for (const field of Object.values(root!.getFields())) {
        const needed = permissions.get(`${kind === 'query' ? 'Query' : 'Mutation'}.${field.name}`);
        if (!needed) throw new Error(`no permission declared for ${field.name}`);
        const caller = needed.every((p) => kindHas(PartnerKind.BANK, p)) ? 'bank-a' : needed.every((p) => kindHas(PartnerKind.LEGAL, p)) ? 'court-a' : 'operator';
        operations.push({ kind, field, caller });
      }
    }
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it('covers every query and mutation of the schema', () => {
    const names = operations.map((o) => o.field.name);
    expect(names).toEqual(expect.arrayContaining(['publishEvents', 'registerPartner', 'grantAccess', 'myEvents', 'auditLog', 'riskScore', 'riskScores', 'signals']));
    expect(names.length).toBeGreaterThanOrEqual(26);
  });

  it('answers every operation with data or a client error, by variables and by literals', async () => {
    const passedPermission = new Set<string>();
    const stats = new Map<string, number>(); // FUZZ_STATS=1: how the answers spread, per operation
    for (const op of operations) {
      const args = op.field.args;
      const call = callers[op.caller];
      const selection = selectionOf(op.field.type);
      const variables = fc.record(Object.fromEntries(args.map((a) => [a.name, valueFor(a.type)])), { requiredKeys: [] });
      await fc.assert(
        fc.asyncProperty(variables, fc.boolean(), async (values, asLiterals) => {
          let query: string;
          if (asLiterals || args.length === 0) {
            const given = Object.entries(values).map(([k, v]) => `${k}: ${literal(v, args.find((a) => a.name === k)!.type)}`);
            query = `${op.kind} { ${op.field.name}${given.length ? `(${given.join(', ')})` : ''} ${selection} }`;
          } else {
            const used = args.filter((a) => a.name in values);
            const defs = used.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
            const pass = used.map((a) => `${a.name}: $${a.name}`).join(', ');
            query = `${op.kind}${defs ? `(${defs})` : ''} { ${op.field.name}${pass ? `(${pass})` : ''} ${selection} }`;
          }
          const res = await call(query, asLiterals ? {} : values);
          expectNoServerError(res, `${query.slice(0, 400)} with ${JSON.stringify(values).slice(0, 300)}`);
          const code = res.errors?.[0]?.extensions?.code;
          if (code !== 'FORBIDDEN' && code !== 'UNAUTHENTICATED') passedPermission.add(op.field.name);
          if (process.env.FUZZ_STATS) {
            const key = `${op.field.name} ${res.status} ${code ?? 'data'}`;
            stats.set(key, (stats.get(key) ?? 0) + 1);
          }
        }),
        { numRuns: args.length ? RUNS_PER_OPERATION : 2, endOnFailure: true, ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}) },
      );
      // After each operation's run, the gateway still answers a valid call.
      expect((await gw.as('bank-a', bank, ME)).data).toEqual({ me: { id: 'bank-a' } });
    }
    if (process.env.FUZZ_STATS) console.log([...stats].sort().map(([k, n]) => `${k}: ${n}`).join('\n'));
    // The callers were of the right kind: every operation was reached past authentication and permission.
    expect(operations.map((o) => o.field.name).filter((n) => !passedPermission.has(n))).toEqual([]);
  }, TIMEOUT_MS);

  it('publishEvents: arbitrary strings and unsigned JWS-shaped tokens are REJECTED one by one, never a 500, and a valid token in the same batch is stored', async () => {
    const header = (kid: string) => b64url(JSON.stringify({ alg: 'EdDSA', kid, typ: 'secevent+jwt' }));
    const jwsShaped = fc
      .tuple(fc.oneof(fc.constant(header(bank.kid)), fc.string({ unit: nastyChar, maxLength: 20 }).map(b64url)), fc.oneof(nastyString, fc.json()).map(b64url), fc.string({ unit: 'binary', maxLength: 90 }).map(b64url))
      .map(([h, p, s]) => `${h}.${p}.${s}`);
    const token = fc.oneof({ arbitrary: nastyString, weight: 2 }, { arbitrary: jwsShaped, weight: 3 });
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(token, { minLength: 1, maxLength: 20 }), async (tokens) => {
        const valid = await signal(bank, 'bank-a');
        const res = await callers['bank-a']('mutation($t: [String!]!) { publishEvents(tokens: $t) { index status code } }', { t: [...tokens, valid] });
        expectNoServerError(res, `publishEvents(${JSON.stringify(tokens).slice(0, 300)})`);
        // Even a NUL or a broken surrogate in a token is that token's REJECTED, never the whole call's refusal.
        expect(res.errors).toBeUndefined();
        const results = res.data!.publishEvents as Array<{ index: number; status: string; code: string | null }>;
        expect(results.map((r) => r.index)).toEqual([...tokens.keys(), tokens.length]);
        expect(results.slice(0, -1).every((r) => r.status === 'REJECTED' && r.code)).toBe(true);
        expect(results[tokens.length].status).toBe('ACCEPTED');
        rejected += tokens.length;
      }),
      { numRuns: RUNS_PER_OPERATION, endOnFailure: true },
    );
    expect(rejected).toBeGreaterThan(0);
    const last = await gw.as('bank-a', bank, 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status } }', { t: [await signal(bank, 'bank-a')] });
    expect(last.data!.publishEvents).toEqual([{ status: 'ACCEPTED' }]);
  }, TIMEOUT_MS);
});
