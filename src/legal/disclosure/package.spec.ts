import { CompactSign, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { describeToken, GATEWAY_EVENT_ISSUER, MAX_PACKAGE_EVENTS, PACKAGE_TYP, packagePayload, signingKeysOf, verifyDisclosurePackage } from './package';

const SUBJECT = 'v1:disclosed-subject-000000000000000000000';
const ISSUER = 'https://gateway.example.com';

interface Key {
  kid: string;
  alg: 'EdDSA' | 'ES256';
  priv: JWK;
  pub: JWK;
}
async function key(kid: string, alg: Key['alg'] = 'EdDSA'): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  return { kid, alg, priv: await exportJWK(privateKey), pub: { ...(await exportJWK(publicKey)), kid, alg } };
}
const ASKED = { kind: 'disclosure', case_reference: 'C-1', authority: 'Court', legal_basis: 'Art. 1' };
async function set(k: Key, iss: string, type: string, o: { iat?: number; subject?: string; typ?: string; jti?: string; member?: Record<string, unknown> } = {}): Promise<string> {
  const member = o.member ?? (type === 'legal-request' ? ASKED : {});
  return new SignJWT({ iss, aud: 'risk-exchange', iat: o.iat ?? 1_800_000_000, jti: o.jti ?? `${iss}-${type}-${Math.random()}`, sub_id: { format: 'opaque', id: o.subject ?? SUBJECT }, events: { [`urn:risk-exchange:event:${type}`]: member } })
    .setProtectedHeader({ alg: k.alg, kid: k.kid, typ: o.typ ?? 'secevent+jwt' })
    .sign(await importJWK(k.priv, k.alg));
}
/** Flips one character in the middle of the token's signature. */
const tamper = (t: string) => {
  const i = t.lastIndexOf('.') + 20;
  return t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
};

describe('disclosure package', () => {
  let gw: Key;
  let court: Key;
  let bank: Key;
  let shop: Key;
  let tokens: { request: string; bank: string; shop: string; own: string };

  beforeAll(async () => {
    [gw, court, bank, shop] = await Promise.all([key('gw-1'), key('court-k1'), key('bank-k1', 'ES256'), key('k1')]);
    tokens = {
      request: await set(court, 'court-d', 'legal-request'),
      bank: await set(bank, 'bank-a', 'risk-signal'),
      shop: await set(shop, 'shop-b', 'account-flag'),
      own: await set(gw, ISSUER, 'account-flag'),
    };
  });

  function payload(over: { events?: Array<{ issuer: string; event_id: string; token: string }>; keys?: Array<{ partner: string; kid: string; jwk: JWK; createdAt: Date; revokedAt: Date | null }> } = {}) {
    const created = new Date(1_700_000_000_000);
    return packagePayload({
      issuer: ISSUER,
      at: new Date(1_800_000_100_000),
      jti: 'pkg-1',
      request: { id: 'req-1', kind: 'DISCLOSURE', requester: 'court-d', subject: SUBJECT, caseReference: 'C-1', authority: 'Court', legalBasis: 'Art. 1', deadline: null, decidedAt: new Date(1_800_000_050_000), accessUntil: new Date(1_802_000_000_000), token: tokens.request },
      approvals: [{ reviewer: 'operator', at: new Date(1_800_000_040_000), comment: 'lawful' }, { reviewer: 'officer-2', at: new Date(1_800_000_050_000), comment: null }],
      events: over.events ?? [
        { issuer: 'bank-a', event_id: 'ev-bank', token: tokens.bank },
        { issuer: 'shop-b', event_id: 'ev-shop', token: tokens.shop },
        { issuer: GATEWAY_EVENT_ISSUER, event_id: 'ev-own', token: tokens.own },
      ],
      keys: over.keys ?? [
        { partner: 'court-d', kid: court.kid, jwk: court.pub, createdAt: created, revokedAt: null },
        { partner: 'bank-a', kid: bank.kid, jwk: bank.pub, createdAt: created, revokedAt: null },
        { partner: 'shop-b', kid: shop.kid, jwk: shop.pub, createdAt: created, revokedAt: null },
      ],
      gatewayJwks: { keys: [gw.pub] },
    });
  }
  const sign = async (p: unknown, typ = PACKAGE_TYP, k = gw) =>
    new CompactSign(new TextEncoder().encode(JSON.stringify(p))).setProtectedHeader({ alg: 'EdDSA', kid: k.kid, typ }).sign(await importJWK(k.priv, 'EdDSA'));

  it('writes times as NumericDates and the kind in lowercase', () => {
    const p = payload();
    expect(p.iat).toBe(1_800_000_100);
    expect(p.request).toMatchObject({ kind: 'disclosure', approved_at: 1_800_000_050, access_until: 1_802_000_000, deadline: null, case_reference: 'C-1' });
    expect(p.approvals[0]).toEqual({ reviewer: 'operator', at: 1_800_000_040, comment: 'lawful' });
    expect(p.keys[0]).toMatchObject({ partner: 'court-d', created_at: 1_700_000_000, revoked_at: null });
    expect(MAX_PACKAGE_EVENTS).toBe(500);
  });

  it('names the key of every partner token, within its partner, and none for the gateway\'s own events', () => {
    expect(signingKeysOf([{ issuer: 'court-d', token: tokens.request }, { issuer: 'bank-a', token: tokens.bank }, { issuer: 'bank-a', token: tokens.bank }, { issuer: GATEWAY_EVENT_ISSUER, token: tokens.own }])).toEqual([
      { partner: 'court-d', kid: 'court-k1' },
      { partner: 'bank-a', kid: 'bank-k1' },
    ]);
  });

  it('verifies an intact package: the gateway signature, the request token and every event token', async () => {
    const r = await verifyDisclosurePackage(await sign(payload()));
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.gateway).toMatchObject({ ok: true, kid: 'gw-1', keysFrom: 'package' });
    expect(r.gateway.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(r.tokens.map((t) => [t.role, t.issuer, t.eventId, t.ok])).toEqual([
      ['request', 'court-d', 'req-1', true],
      ['event', 'bank-a', 'ev-bank', true],
      ['event', 'shop-b', 'ev-shop', true],
      ['event', GATEWAY_EVENT_ISSUER, 'ev-own', true],
    ]);
  });

  it('fails a changed partner token and names it; the others still pass', async () => {
    const p = payload();
    p.events[0].token = tamper(p.events[0].token);
    const r = await verifyDisclosurePackage(await sign(p));
    expect(r.ok).toBe(false);
    expect(r.gateway.ok).toBe(true);
    const bad = r.tokens.filter((t) => !t.ok);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ issuer: 'bank-a', eventId: 'ev-bank', detail: 'the signature does not verify with key "bank-k1" of bank-a' });
    expect(r.problems).toEqual([`${describeToken(bad[0])}: ${bad[0].detail}`]);
    expect(describeToken(bad[0])).toMatch(/^event token of bank-a, jti bank-a-risk-signal-[0-9.]+, event ev-bank$/);
  });

  it('fails a package changed after signing (the gateway signature), and still checks its tokens', async () => {
    const jws = await sign(payload());
    const [h, , s] = jws.split('.');
    const changed = payload();
    changed.approvals[0].comment = 'approved without reading it'; // not in any partner token: only the gateway signature covers it
    const r = await verifyDisclosurePackage(`${h}.${Buffer.from(JSON.stringify(changed)).toString('base64url')}.${s}`);
    expect(r.ok).toBe(false);
    expect(r.gateway).toMatchObject({ ok: false, detail: 'the signature does not verify with gateway key "gw-1"' });
    expect(r.tokens.every((t) => t.ok)).toBe(true);
    // The positive twin: the same payload signed verifies.
    expect((await verifyDisclosurePackage(await sign(changed))).ok).toBe(true);
  });

  it('checks the gateway signature with a given JWKS instead of the package\'s own', async () => {
    const jws = await sign(payload());
    const other = await key('gw-1');
    const r = await verifyDisclosurePackage(jws, { gatewayJwks: [other.pub] });
    expect(r.gateway).toMatchObject({ ok: false, keysFrom: 'given' });
    expect((await verifyDisclosurePackage(jws, { gatewayJwks: [gw.pub] })).gateway).toMatchObject({ ok: true, keysFrom: 'given' });
  });

  it('refuses a package of another typ', async () => {
    expect((await verifyDisclosurePackage(await sign(payload(), 'audit-checkpoint+jwt'))).gateway.detail).toBe(`typ is "audit-checkpoint+jwt", expected "${PACKAGE_TYP}"`);
  });

  it('looks a token\'s key up within its issuer only', async () => {
    // shop-b's token names kid "k1"; a key "k1" of another partner does not verify it.
    const keys = payload().keys.map((k) => (k.partner === 'shop-b' ? { partner: 'bank-a', kid: 'k1', jwk: shop.pub, createdAt: new Date(0), revokedAt: null } : { ...k, createdAt: new Date(k.created_at * 1000), revokedAt: null }));
    const r = await verifyDisclosurePackage(await sign(payload({ keys })));
    expect(r.tokens.find((t) => t.issuer === 'shop-b')).toMatchObject({ ok: false, detail: 'no key "k1" of shop-b in the package' });
  });

  it('fails a token whose key was revoked before its iat, and passes one revoked after', async () => {
    const revoked = (at: number) => payload().keys.map((k) => ({ ...k, createdAt: new Date(k.created_at * 1000), revokedAt: k.partner === 'bank-a' ? new Date(at * 1000) : null }));
    const before = await verifyDisclosurePackage(await sign(payload({ keys: revoked(1_799_999_999) })));
    expect(before.tokens.find((t) => t.issuer === 'bank-a')!.detail).toMatch(/^the key "bank-k1" of bank-a was revoked at .*, before the token's iat/);
    const after = await verifyDisclosurePackage(await sign(payload({ keys: revoked(1_800_000_001) })));
    expect(after.ok).toBe(true);
  });

  it('fails a token whose iss is not its issuer, or about another subject', async () => {
    const asOther = await set(bank, 'bank-z', 'risk-signal');
    const otherSubject = await set(bank, 'bank-a', 'risk-signal', { subject: 'v1:another-subject' });
    const r = await verifyDisclosurePackage(await sign(payload({ events: [{ issuer: 'bank-a', event_id: 'e1', token: asOther }, { issuer: 'bank-a', event_id: 'e2', token: otherSubject }, { issuer: 'bank-a', event_id: 'e3', token: tokens.bank }] })));
    expect(r.tokens.slice(1).map((t) => t.detail)).toEqual(['iss is "bank-z", expected "bank-a"', 'sub_id is "v1:another-subject", not the disclosed subject', expect.stringMatching(/^signature by bank-a/)]);
  });

  it('fails a token that is not a SET', async () => {
    const jwt = await set(bank, 'bank-a', 'risk-signal', { typ: 'JWT' });
    const r = await verifyDisclosurePackage(await sign(payload({ events: [{ issuer: 'bank-a', event_id: 'e1', token: jwt }] })));
    expect(r.tokens[1]).toMatchObject({ ok: false, detail: 'typ is "JWT", expected "secevent+jwt"' });
    expect(r.tokens[0].ok).toBe(true);
  });

  it('fails a request token that does not say what the package reports (another case, or not a disclosure), naming the difference', async () => {
    for (const [member, problem] of [
      [{ ...ASKED, case_reference: 'REAL-CASE' }, 'its case_reference is "REAL-CASE", but the package reports "C-1"'],
      [{ ...ASKED, kind: 'freeze' }, 'it asks for "freeze", not a disclosure'],
    ] as const) {
      const request = await set(court, 'court-d', 'legal-request', { member });
      const bad = await verifyDisclosurePackage(await sign({ ...payload(), request: { ...payload().request, token: request } }));
      expect(bad.ok).toBe(false);
      expect(bad.tokens.find((t) => t.role === 'request')!.detail).toBe(`the court's signed request does not match the package: ${problem}`);
    }
    expect((await verifyDisclosurePackage(await sign(payload()))).ok).toBe(true);
  });

  it('says what is wrong with input that is not a package', async () => {
    expect((await verifyDisclosurePackage('abc')).problems).toEqual(['not a compact JWS (1 segment(s))']);
    expect((await verifyDisclosurePackage(await sign({ hello: 1 }))).problems).toEqual(['the payload is not a disclosure package: iss, iat and jti are required']);
  });
});
