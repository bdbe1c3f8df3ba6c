import type { WebSocket as WsSocket } from 'ws';
import { codeOf, TestDatabase, TestGateway } from './support/app';
import { assertion, TestKey } from './support/keys';

const ME = '{ me { id } }';
const PARTNER_FIELDS = 'fragment P on Partner { createdAt id kind name status trustWeight updatedAt keys(first: 1) { alg createdAt kid publicJwk revokedAt status } }';
/** `n` aliases of `me`, each spreading a fragment of 14 fields: 15 executed fields per alias, 15 + n defined. */
const aliasedFragments = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { ...P }`).join(' ')} } ${PARTNER_FIELDS}`;
const DEEP = '{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } }';

interface WsAnswer {
  type: string;
  payload: any;
}

/** A graphql-transport-ws client over a real socket: one `subscribe` at a time, answered by `next`+`complete` or `error`. */
class GraphQLSocket {
  private next = 0;
  private readonly waiting = new Map<string, { answers: WsAnswer[]; done: (a: WsAnswer[]) => void }>();
  private constructor(private readonly ws: WsSocket) {
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as { type: string; id?: string; payload?: unknown };
      const w = m.id === undefined ? undefined : this.waiting.get(m.id);
      if (!w) return;
      w.answers.push({ type: m.type, payload: m.payload });
      if (m.type === 'complete' || m.type === 'error') {
        this.waiting.delete(m.id!);
        w.done(w.answers);
      }
    });
  }

  static async open(url: string, bearer: string): Promise<GraphQLSocket> {
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(url.replace('http', 'ws') + '/graphql', 'graphql-transport-ws', { headers: { authorization: `Bearer ${bearer}` } });
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: {} })));
      ws.once('message', (m) => (JSON.parse(String(m)).type === 'connection_ack' ? resolve() : reject(new Error(String(m)))));
    });
    return new GraphQLSocket(ws);
  }

  send(query: string, variables: Record<string, unknown> = {}): Promise<WsAnswer[]> {
    const id = String(++this.next);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${id} within 10 s`)), 10_000);
      this.waiting.set(id, { answers: [], done: (a) => (clearTimeout(timer), resolve(a)) });
      this.ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
    });
  }

  close() {
    this.ws.close();
  }
}

/** The one error of a refused operation, as the client saw it. */
function refusal(answers: WsAnswer[]): { message: string; code: unknown; extensions: Record<string, unknown> } {
  expect(answers.map((a) => a.type)).toEqual(['error']);
  expect(answers[0].payload).toHaveLength(1);
  const e = answers[0].payload[0];
  return { message: e.message, code: e.extensions?.code, extensions: e.extensions };
}

/** Issue 10, findings 11 and 13 (a): one set of document limits, one budget and one error format on every transport. */
describe('GraphQL document limits over WebSocket and by execution (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let bank: TestKey;
  let socket: GraphQLSocket;

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { GRAPHQL_MAX_COST: '500', RATE_LIMIT_COST_PER_MINUTE: 'LEGAL=30', AUDIT_CHECKPOINT_SECONDS: '0' });
    bank = await gw.registerPartner('bank-a', 'BANK');
    socket = await GraphQLSocket.open(gw.url, await assertion(bank, 'bank-a'));
  });
  afterAll(async () => {
    socket?.close();
    await gw?.close();
    await db?.drop();
  });

  it('runs a query over WebSocket as over HTTP', async () => {
    expect(await socket.send(ME)).toEqual([{ type: 'next', payload: { data: { me: { id: 'bank-a' } } } }, { type: 'complete', payload: undefined }]);
  });

  it('refuses a deeply nested document with TOO_MANY_TOKENS, never a stack overflow', async () => {
    const deep = `{${' me {'.repeat(10_000)} id ${'}'.repeat(10_000)} }`; // under 64 KiB
    const e = refusal(await socket.send(deep));
    expect(e).toMatchObject({ code: 'TOO_MANY_TOKENS', message: 'the query text has more than 3000 tokens' });
    expect(refusal(await socket.send(DEEP))).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', message: 'the document nests deeper than 12 levels' });
    expect((await socket.send(ME))[0].payload).toEqual({ data: { me: { id: 'bank-a' } } });
  });

  it('applies the text, field, alias and cost limits over WebSocket', async () => {
    expect(refusal(await socket.send(`${ME} # ${'x'.repeat(70_000)}`))).toMatchObject({ code: 'DOCUMENT_TOO_LARGE', message: 'the query text is longer than 65536 characters' });
    const aliases = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    expect(refusal(await socket.send(aliases))).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', message: expect.stringMatching(/uses more than 30 aliases/) });
    const fields = `{ me { ${Array.from({ length: 301 }, () => 'id').join(' ')} } }`;
    expect(refusal(await socket.send(fields))).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', message: expect.stringMatching(/selects more than 300 fields/) });
    const operator = await GraphQLSocket.open(gw.url, await assertion(gw.operatorKey, 'operator'));
    try {
      const costly = refusal(await operator.send('{ partners(first: 100) { edges { node { id name kind status keys { kid alg status createdAt } } } } }'));
      expect(costly).toMatchObject({ code: 'QUERY_TOO_COMPLEX', message: expect.stringMatching(/costs \d+, more than the 500 allowed/) });
      expect((await operator.send('{ partners(first: 2) { edges { node { id } } } }'))[0].payload.data.partners.edges[0].node.id).toBe('bank-a');
    } finally {
      operator.close();
    }
    const unknown = refusal(await socket.send('{ me { password } }'));
    expect(unknown).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', message: expect.stringMatching(/Cannot query field "password"/) });
    const mutation = await socket.send('mutation { createAuditCheckpoint { seq } }');
    expect(mutation[0].payload.errors[0].extensions.code).toBe('FORBIDDEN'); // the guard runs over WebSocket too
    expect(refusal(await socket.send('subscription { me { id } }'))).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', message: 'Cannot query field "me" on type "Subscription".' });
    expect(await socket.send(aliases.replace('a30: me { id }', ''))).toHaveLength(2);
  });

  it('draws WebSocket operations from the same rate budget as HTTP', async () => {
    if (new Date().getSeconds() > 45) await new Promise((r) => setTimeout(r, (61 - new Date().getSeconds()) * 1000));
    const court = await gw.registerPartner('court-c', 'LEGAL');
    let limited = false;
    for (let i = 0; i < 40 && !limited; i++) limited = codeOf(await gw.as('court-c', court, ME)) === 'RATE_LIMITED';
    expect(limited).toBe(true);
    const ws = await GraphQLSocket.open(gw.url, await assertion(court, 'court-c'));
    try {
      const e = refusal(await ws.send(ME));
      expect(e).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/budget of 30 per minute is spent; retry after \d+ s/) });
      expect(e.extensions.retryAfter).toBeGreaterThan(0);
    } finally {
      ws.close();
    }
    expect((await socket.send(ME))[0].payload).toEqual({ data: { me: { id: 'bank-a' } } }); // another partner's budget
  });

  it('authenticates each operation: a suspension applies to an open socket from its next operation', async () => {
    const shop = await gw.registerPartner('shop-x', 'ECOMMERCE');
    const ws = await GraphQLSocket.open(gw.url, await assertion(shop, 'shop-x'));
    try {
      expect((await ws.send(ME))[0].payload).toEqual({ data: { me: { id: 'shop-x' } } });
      expect((await gw.asOperator('mutation { suspendPartner(id: "shop-x") { status } }')).data).toEqual({ suspendPartner: { status: 'SUSPENDED' } });
      expect(refusal(await ws.send(ME))).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/suspended/) });
    } finally {
      ws.close();
    }
    await gw.asOperator('mutation { reactivatePartner(id: "shop-x") { status } }');
    const again = await GraphQLSocket.open(gw.url, await assertion(shop, 'shop-x'));
    expect((await again.send(ME))[0].payload).toEqual({ data: { me: { id: 'shop-x' } } });
    again.close();
  });

  it('counts fields by execution: a fragment counts each time it is spread (HTTP and WebSocket)', async () => {
    const over = aliasedFragments(21); // 21 x 15 = 315 executed fields, 35 defined
    const http = await gw.as('bank-a', bank, over);
    expect(codeOf(http)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(http.errors![0].message).toBe('the document selects more than 300 fields (a fragment counts each time it is used)');
    expect(refusal(await socket.send(over)).message).toBe('the document selects more than 300 fields (a fragment counts each time it is used)');
    // Nested fragments multiply too, and cost no more to count.
    const nested = `query Nested { a: me { ...Q } b: me { ...Q } } fragment Q on Partner { ${Array.from({ length: 8 }, (_, i) => `k${i}: keys { ...K }`).join(' ')} } fragment K on PartnerKey { ${'kid alg status createdAt publicJwk revokedAt '.repeat(4)}}`;
    expect((await gw.as('bank-a', bank, nested)).errors![0].message).toBe('the operation Nested selects more than 300 fields (a fragment counts each time it is used)');
    // Exactly 300 executed fields run.
    const ok = await gw.as('bank-a', bank, aliasedFragments(20));
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.a19).toMatchObject({ id: 'bank-a', kind: 'BANK' });
    const viaSocket = await socket.send(aliasedFragments(20));
    expect(viaSocket[0].payload.data.a0.keys[0].kid).toBe(bank.kid);
  });
});
