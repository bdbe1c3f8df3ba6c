// Token profile v1.1 over HTTP against the real database: RS256 keys, duplicates that are
// re-signed, text and dates PostgreSQL could not store (issue 10 findings 8 and 13), and
// retractions or lifts that must not tell another partner's jtis from unknown ones (finding 7).
import { DataSource } from 'typeorm';
import { TestDatabase, TestGateway } from './support/app';
import { makeKey, TestKey } from './support/keys';
import { makeSet, signal } from './support/sets';

const PUBLISH = 'mutation($t: [String!]!) { publishEvents(tokens: $t) { index jti status eventId code description } }';

describe('token profile v1.1 at the ingest (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let ds: DataSource;
  let bank: TestKey;
  let shop: TestKey;
  let court: TestKey;

  beforeAll(async () => {
    db = await TestDatabase.create();
    gw = await TestGateway.start(db, { RETENTION_INTERVAL_SECONDS: '0', AUDIT_CHECKPOINT_SECONDS: '0' });
    ds = gw.app.get(DataSource);
    bank = await gw.registerPartner('bank-a', 'BANK');
    shop = await gw.registerPartner('shop-b', 'ECOMMERCE');
    court = await gw.registerPartner('court-c', 'LEGAL');
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  const publish = async (partner: string, key: TestKey, tokens: string[]) => {
    const res = await gw.as(partner, key, PUBLISH, { t: tokens });
    if (res.errors) throw new Error(`publishEvents failed: ${JSON.stringify(res.errors)}`);
    return res.data!.publishEvents as Array<{ index: number; jti: string | null; status: string; eventId: string | null; code: string | null; description: string | null }>;
  };
  const rows = async (jti: string) => (await ds.query(`SELECT count(*)::int AS n FROM event WHERE jti = $1`, [jti]))[0].n as number;

  describe('RS256 keys', () => {
    let rsa: TestKey;
    beforeAll(async () => {
      rsa = await makeKey('rsa-bank-rs1', 'RS256');
    });

    it('registers an RSA key for RS256, authenticates with it and accepts its SETs', async () => {
      await gw.registerPartner('rsa-bank', 'BANK', rsa);
      const me = await gw.as('rsa-bank', rsa, '{ me { id keys { kid alg } } }');
      expect(me.data!.me).toEqual({ id: 'rsa-bank', keys: [{ kid: 'rsa-bank-rs1', alg: 'RS256' }] });
      const [res] = await publish('rsa-bank', rsa, [await signal(rsa, 'rsa-bank', {}, { jti: 'rs-1' })]);
      expect(res).toMatchObject({ status: 'ACCEPTED', code: null });
      expect(await rows('rs-1')).toBe(1);
    });

    it('refuses a PS256 token under the RS256 key: a key verifies its registered algorithm only', async () => {
      const ps = await makeSet({ ...rsa, alg: 'PS256' }, 'rsa-bank', 'risk-signal', { category: 'other', score: 0.1 }, { jti: 'rs-ps' });
      const [res] = await publish('rsa-bank', rsa, [ps]);
      expect(res).toMatchObject({ status: 'REJECTED', code: 'invalid_key', description: 'alg PS256 does not match key "rsa-bank-rs1" (RS256)' });
      expect(await rows('rs-ps')).toBe(0);
      const [ok] = await publish('rsa-bank', rsa, [await signal(rsa, 'rsa-bank', {}, { jti: 'rs-2' })]);
      expect(ok.status).toBe('ACCEPTED');
    });
  });

  describe('duplicates: same (iss, jti) with the same sub_id, txn and events', () => {
    it('answers DUPLICATE with the original eventId for a re-signed token with another iat', async () => {
      const iat = Math.floor(Date.now() / 1000);
      const [first] = await publish('bank-a', bank, [await signal(bank, 'bank-a', {}, { jti: 'dup-resigned', txn: 'case-9', iat: iat - 30 })]);
      expect(first.status).toBe('ACCEPTED');
      const resent = await signal(bank, 'bank-a', {}, { jti: 'dup-resigned', txn: 'case-9', iat });
      const [again] = await publish('bank-a', bank, [resent]);
      expect(again).toEqual({ index: 0, jti: 'dup-resigned', status: 'DUPLICATE', eventId: first.eventId, code: null, description: null });
      expect(await rows('dup-resigned')).toBe(1);
      // The stored token stays the original one.
      const [{ token }] = await ds.query(`SELECT token FROM event WHERE id = $1`, [first.eventId]);
      expect(token).not.toBe(resent);
    });

    it('treats two signings of one event within a batch as one event', async () => {
      const iat = Math.floor(Date.now() / 1000);
      const res = await publish('bank-a', bank, [
        await signal(bank, 'bank-a', {}, { jti: 'dup-batch', iat: iat - 5 }),
        await signal(bank, 'bank-a', {}, { jti: 'dup-batch', iat }),
      ]);
      expect(res.map((r) => r.status)).toEqual(['ACCEPTED', 'DUPLICATE']);
      expect(res[1].eventId).toBe(res[0].eventId);
      expect(await rows('dup-batch')).toBe(1);
    });

    it('refuses the jti with other events, sub_id or txn as reused, and still accepts a new jti', async () => {
      const [first] = await publish('bank-a', bank, [await signal(bank, 'bank-a', {}, { jti: 'dup-other', txn: 't-1' })]);
      expect(first.status).toBe('ACCEPTED');
      const variants = [
        await signal(bank, 'bank-a', { score: 0.1 }, { jti: 'dup-other', txn: 't-1' }),
        await signal(bank, 'bank-a', {}, { jti: 'dup-other', txn: 't-2' }),
        await signal(bank, 'bank-a', {}, { jti: 'dup-other' }),
        await signal(bank, 'bank-a', {}, { jti: 'dup-other', txn: 't-1', subject: 'v1:another-subject-0001' }),
      ];
      const res = await publish('bank-a', bank, variants);
      for (const r of res) expect(r).toMatchObject({ status: 'REJECTED', code: 'invalid_request', eventId: null, description: expect.stringMatching(/^jti reused: "dup-other"/) });
      expect(await rows('dup-other')).toBe(1);
      expect((await publish('bank-a', bank, [await signal(bank, 'bank-a', {}, { jti: 'dup-new' })]))[0].status).toBe('ACCEPTED');
    });
  });

  describe('what PostgreSQL could not store is refused alone (finding 8, token side)', () => {
    it('stores the valid tokens of a batch and refuses NUL, lone surrogates and dates past year 9999 one by one', async () => {
      const flag = (jti: string, extra: Record<string, unknown>) => makeSet(bank, 'bank-a', 'account-flag', { action: 'warn', ...extra }, { jti });
      const tokens = [
        await signal(bank, 'bank-a', {}, { jti: 'f8-ok-1' }),
        await signal(bank, 'bank-a', { evidence: { note: 'a\u0000b' } }, { jti: 'f8-nul' }),
        await signal(bank, 'bank-a', { evidence: { note: 'x\ud800y' } }, { jti: 'f8-surrogate' }),
        await signal(bank, 'bank-a', { evidence: { ['k\u0000']: 1 } }, { jti: 'f8-nul-key' }),
        await flag('f8-date', { effective_at: 8.6e12 }),
        await flag('f8-1e20', { effective_at: 1e20 }),
        await signal(bank, 'bank-a', {}, { jti: 'f8-txn', txn: 'c\u0000' }),
        await flag('f8-ok-2', { expires_at: 253402300799 }),
      ];
      const res = await publish('bank-a', bank, tokens);
      expect(res.map((r) => [r.jti, r.status, r.code])).toEqual([
        ['f8-ok-1', 'ACCEPTED', null],
        ['f8-nul', 'REJECTED', 'invalid_request'],
        ['f8-surrogate', 'REJECTED', 'invalid_request'],
        ['f8-nul-key', 'REJECTED', 'invalid_request'],
        ['f8-date', 'REJECTED', 'invalid_request'],
        ['f8-1e20', 'REJECTED', 'invalid_request'],
        ['f8-txn', 'REJECTED', 'invalid_request'],
        ['f8-ok-2', 'ACCEPTED', null],
      ]);
      expect(res[1].description).toMatch(/evidence\.note holds U\+0000/);
      expect(res[2].description).toMatch(/evidence\.note holds an unpaired surrogate/);
      expect(res[3].description).toMatch(/member name holds U\+0000/);
      expect(res[4].description).toMatch(/^effective_at must be a NumericDate in 0\.\.253402300799/);
      expect(res[5].description).toMatch(/^effective_at must be a NumericDate/);
      expect(res[6].description).toMatch(/txn holds U\+0000/);
      const stored = await ds.query(`SELECT jti, expires_at FROM event WHERE jti LIKE 'f8-%' ORDER BY jti`);
      expect(stored.map((r: { jti: string }) => r.jti)).toEqual(['f8-ok-1', 'f8-ok-2']);
      expect(new Date(stored[1].expires_at).toISOString()).toBe('9999-12-31T23:59:59.000Z');
    });

    it('answers a refused token on POST /events with 400 and its reason, then accepts a valid one', async () => {
      const { assertion } = await import('./support/keys');
      const push = async (body: string) => {
        const r = await fetch(`${gw.url}/events`, { method: 'POST', headers: { authorization: `Bearer ${await assertion(bank, 'bank-a')}`, 'content-type': 'application/secevent+jwt' }, body });
        return { status: r.status, text: await r.text() };
      };
      const nul = await push(await signal(bank, 'bank-a', { evidence: { note: '\u0000' } }, { jti: 'f8-push' }));
      expect(nul.status).toBe(400);
      expect(JSON.parse(nul.text)).toMatchObject({ err: 'invalid_request', description: expect.stringMatching(/U\+0000/) });
      expect(await push(await signal(bank, 'bank-a', {}, { jti: 'f8-push-ok' }))).toEqual({ status: 202, text: '' });
    });
  });

  describe("retractions and lifts never tell another partner's jti from an unknown one (finding 7)", () => {
    it('answers both alike, for signals, issuer_only flags and legal requests, and still retracts your own', async () => {
      await publish('bank-a', bank, [
        await signal(bank, 'bank-a', { distribution: 'issuer_only' }, { jti: 'f7-secret-signal' }),
        await makeSet(bank, 'bank-a', 'account-flag', { action: 'freeze', distribution: 'issuer_only' }, { jti: 'f7-secret-flag' }),
      ]);
      const legal = { kind: 'disclosure', legal_basis: 'Art. 1', case_reference: 'C-7', authority: 'Court' };
      expect((await publish('court-c', court, [await makeSet(court, 'court-c', 'legal-request', legal, { jti: 'f7-legal' })]))[0].status).toBe('ACCEPTED');

      const probes = ['f7-secret-signal', 'f7-secret-flag', 'f7-legal', 'f7-never-published'];
      const retract = await publish('shop-b', shop, await Promise.all(probes.map((t) => makeSet(shop, 'shop-b', 'retraction', { retracts_jti: t, reason: 'error' }))));
      const lift = await publish('shop-b', shop, await Promise.all(probes.map((t) => makeSet(shop, 'shop-b', 'flag-lifted', { flag_jti: t }))));
      for (const answers of [retract, lift]) {
        const shapes = answers.map((r, i) => ({ status: r.status, code: r.code, eventId: r.eventId, description: r.description!.replace(probes[i], '<jti>') }));
        expect(new Set(shapes.map((s) => JSON.stringify(s))).size).toBe(1);
        expect(shapes[0]).toMatchObject({ status: 'REJECTED', code: 'access_denied', eventId: null });
      }
      expect(retract[0].description).toBe('"f7-secret-signal" is not an event of yours: only your own signals and flags can be retracted or lifted');
      // Nothing changed, and the owner still retracts and lifts its own events.
      expect(await ds.query(`SELECT count(*)::int AS n FROM event WHERE jti LIKE 'f7-%' AND status <> 'ACTIVE'`)).toEqual([{ n: 0 }]);
      const own = await publish('bank-a', bank, [
        await makeSet(bank, 'bank-a', 'retraction', { retracts_jti: 'f7-secret-signal', reason: 'error' }),
        await makeSet(bank, 'bank-a', 'flag-lifted', { flag_jti: 'f7-secret-flag' }),
      ]);
      expect(own.map((r) => r.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
      expect(await ds.query(`SELECT jti, status FROM event WHERE jti IN ('f7-secret-signal', 'f7-secret-flag') ORDER BY jti`)).toEqual([
        { jti: 'f7-secret-flag', status: 'LIFTED' },
        { jti: 'f7-secret-signal', status: 'RETRACTED' },
      ]);
    });
  });
});
