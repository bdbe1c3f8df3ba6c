import { codeOf, GraphQLResponse, TestDatabase, TestGateway } from './support/app';
import { TestKey } from './support/keys';
import { signal, SUBJECT } from './support/sets';

const ME = '{ me { id } }';
const cursorOf = (value: string) => Buffer.from(value, 'utf8').toString('base64url');

/** A refusal at the edge: BAD_USER_INPUT (never a 500) whose message names the argument and the problem. */
function expectBadInput(res: GraphQLResponse, names: RegExp, problem: RegExp) {
  expect(res.status).toBeLessThan(500);
  expect(res.errors).toHaveLength(1);
  expect(codeOf(res)).toBe('BAD_USER_INPUT');
  expect(res.errors![0].message).toMatch(names);
  expect(res.errors![0].message).toMatch(problem);
}

describe('malformed GraphQL arguments are refused at the edge (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let bank: TestKey;

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0' });
    bank = await gw.registerPartner('bank-a', 'BANK');
    await gw.registerPartner('shop-b', 'ECOMMERCE');
    const published = await gw.as('bank-a', bank, 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status } }', {
      t: [await signal(bank, 'bank-a'), await signal(bank, 'bank-a', { category: 'money_mule' })],
    });
    expect(published.data!.publishEvents).toEqual([{ status: 'ACCEPTED' }, { status: 'ACCEPTED' }]);
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it('refuses a well-formed cursor whose id is not a UUID, on every (time, id) list; real cursors still page', async () => {
    const bad = cursorOf(`${'1'.repeat(13)}|${'-'.repeat(36)}`);
    const lists = [
      `query($a: String) { myEvents(first: 1, after: $a) { edges { cursor } } }`,
      `query($a: String) { signals(subject: "${SUBJECT}", first: 1, after: $a) { edges { cursor } } }`,
      `query($a: String) { flags(subject: "${SUBJECT}", first: 1, after: $a) { edges { cursor } } }`,
      `query($a: String) { grantsGiven(first: 1, after: $a) { edges { cursor } } }`,
      `query($a: String) { grantsReceived(first: 1, after: $a) { edges { cursor } } }`,
      `query($a: String) { riskScoreHistory(subject: "${SUBJECT}", first: 1, after: $a) { edges { cursor } } }`,
    ];
    for (const q of lists) expectBadInput(await gw.as('bank-a', bank, q, { a: bad }), /\bafter\b/, /not a cursor/);
    const page1 = await gw.as('bank-a', bank, lists[0], { a: null });
    const page2 = await gw.as('bank-a', bank, lists[0], { a: page1.data!.myEvents.edges[0].cursor });
    expect(page2.errors).toBeUndefined();
    expect(page2.data!.myEvents.edges).toHaveLength(1);
    expect(page2.data!.myEvents.edges[0].cursor).not.toBe(page1.data!.myEvents.edges[0].cursor);
  });

  it('refuses a NUL or a lone surrogate in any String argument (filter, subject, purpose, list items), by variable or literal', async () => {
    const bad: Array<[string, Record<string, unknown>, RegExp]> = [
      ['query($s: String!) { myEvents(filter: { subject: $s }) { edges { cursor } } }', { s: 'v1:a\u0000b' }, /filter\.subject/],
      ['query($c: String!) { myEvents(filter: { category: $c }) { edges { cursor } } }', { c: 'cash\u0000out' }, /filter\.category/],
      ['query($s: String!) { riskScore(subject: $s) { tier } }', { s: `${SUBJECT}\u0000` }, /\bsubject\b/],
      ['query($s: [String!]!) { riskScores(subjects: $s) { tier } }', { s: [SUBJECT, 'v1:\ud800x'] }, /subjects\[1\]/],
      ['query($s: String!) { signals(subject: $s) { edges { cursor } } }', { s: '\udc00' }, /\bsubject\b/],
      [
        'mutation($i: GrantAccessInput!) { grantAccess(input: $i) { id } }',
        { i: { grantee: 'shop-b', categories: ['cash_out'], includeEvidence: false, expiresAt: new Date(Date.now() + 86_400_000).toISOString(), purpose: 'fraud\u0000ops' } },
        /input\.purpose/,
      ],
      ['query { riskScore(subject: "v1:\\u0000") { tier } }', {}, /\bsubject\b/],
    ];
    for (const [q, v, name] of bad) expectBadInput(await gw.as('bank-a', bank, q, v), name, /U\+0000|unpaired surrogate/);
    // The same arguments without the bad character work.
    const ok = await gw.as('bank-a', bank, 'query($s: String!) { myEvents(filter: { subject: $s }) { edges { cursor } } riskScore(subject: $s) { subject } }', { s: SUBJECT });
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.myEvents.edges).toHaveLength(2);
    expect(ok.data!.riskScore.subject).toBe(SUBJECT);
    // A well-formed surrogate pair (an emoji) is a valid string, not refused as a lone surrogate.
    const pair = await gw.as('bank-a', bank, 'mutation($i: GrantAccessInput!) { grantAccess(input: $i) { purpose } }', {
      i: { grantee: 'shop-b', categories: ['cash_out'], includeEvidence: false, expiresAt: new Date(Date.now() + 86_400_000).toISOString(), purpose: 'fraud ops \u{1F6A8}' },
    });
    expect(pair.errors).toBeUndefined();
    expect(pair.data!.grantAccess.purpose).toBe('fraud ops \u{1F6A8}');
  });

  it('refuses an operator filter with a NUL (auditLog), and answers the same filter without it', async () => {
    const q = 'query($f: AuditLogFilter) { auditLog(filter: $f, first: 5) { edges { node { action } } } }';
    expectBadInput(await gw.asOperator(q, { f: { actor: 'bank-a\u0000' } }), /filter\.actor/, /U\+0000/);
    const ok = await gw.asOperator(q, { f: { actor: 'bank-a' } });
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.auditLog.edges.map((e: { node: { action: string } }) => e.node.action)).toContain('events.publish');
  });

  it('refuses DateTimes that are not RFC 3339 date-times or lie outside years 0001..9999, by variable or literal', async () => {
    // Filters that reach SQL: an Invalid Date or a year PostgreSQL cannot hold used to fail there (500).
    const literal = await gw.as('bank-a', bank, `{ myEvents(filter: { since: "2020-01-01'; DROP TABLE event;--" }) { edges { cursor } } }`);
    expectBadInput(literal, /DateTime/, /RFC 3339/);
    const farSince = await gw.asOperator('query($f: AuditLogFilter) { auditLog(filter: $f) { edges { cursor } } }', { f: { since: '-100000-01-01T00:00:00Z' } });
    expectBadInput(farSince, /since|DateTime/, /0001|RFC 3339/);
    const farNumber = await gw.as('bank-a', bank, 'query($d: DateTime) { myEvents(filter: { since: $d }) { edges { cursor } } }', { d: -8.64e15 });
    expectBadInput(farNumber, /\$d|DateTime/, /string/);
    const q = 'query($d: DateTime) { riskScore(subject: "' + SUBJECT + '", asOf: $d) { tier } }';
    const invalid = ["2020-01-01'; DROP TABLE event;--", 'yesterday', '2020-02-30T00:00:00Z', '2020-01-01T25:00:00Z', '', 'NaN', '1e20'];
    for (const d of invalid) expectBadInput(await gw.as('bank-a', bank, q, { d }), /\$d|asOf|DateTime/, /RFC 3339|date-time/);
    const outOfRange = ['+275760-09-13T00:00:00Z', '-100000-01-01T00:00:00Z', '0000-12-31T00:00:00Z', '0001-01-01T00:00:00+01:00', '10000-01-01T00:00:00Z'];
    for (const d of outOfRange) expectBadInput(await gw.as('bank-a', bank, q, { d }), /\$d|asOf|DateTime/, /0001|9999|RFC 3339/);
    for (const d of [-8.64e15, 8.6e15, 1e20]) expectBadInput(await gw.as('bank-a', bank, q, { d }), /\$d|asOf|DateTime/, /string/);
    // Valid instants, with an offset, with a fraction, and at both ends of the range all work.
    for (const d of ['2020-01-01T00:00:00Z', '2020-01-01T08:00:00.123+08:00', '0001-01-01T00:00:00Z', new Date().toISOString()]) {
      const ok = await gw.as('bank-a', bank, q, { d });
      expect(ok.errors).toBeUndefined();
      expect(ok.data!.riskScore.tier).toEqual(expect.any(String));
    }
    const since = (d: string) => gw.as('bank-a', bank, 'query($d: DateTime) { myEvents(filter: { since: $d }) { edges { node { receivedAt } } } }', { d });
    expect((await since('0001-01-01T00:00:00Z')).data!.myEvents.edges).toHaveLength(2);
    expect((await since('9999-12-31T23:59:59.999Z')).data!.myEvents.edges).toHaveLength(0);
    const literalOk = await gw.as('bank-a', bank, '{ myEvents(filter: { since: "2000-01-01T00:00:00Z" }) { edges { node { receivedAt } } } }');
    expect(literalOk.data!.myEvents.edges).toHaveLength(2);
  });

  it('answers a publishEvents token holding a NUL or a lone surrogate with that token REJECTED alone; the valid one beside it is stored', async () => {
    const valid = await signal(bank, 'bank-a', { category: 'cash_out' });
    const res = await gw.as('bank-a', bank, 'mutation($t: [String!]!) { publishEvents(tokens: $t) { index status code } }', { t: ['a\u0000b.c.d', 'x.\ud800.y', valid] });
    expect(res.errors).toBeUndefined();
    expect(res.data!.publishEvents).toEqual([
      { index: 0, status: 'REJECTED', code: 'invalid_request' },
      { index: 1, status: 'REJECTED', code: 'invalid_request' },
      { index: 2, status: 'ACCEPTED', code: null },
    ]);
  });

  it('still answers after all of it', async () => {
    expect((await gw.as('bank-a', bank, ME)).data).toEqual({ me: { id: 'bank-a' } });
  });
});
