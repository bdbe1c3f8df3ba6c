// Issue 15, parts 3 and 4, over HTTP against PostgreSQL: banks publish about subject S (every
// distribution, with evidence; one signal retracted) and about subject T; a court asks for a
// DISCLOSURE of S. Before approval it sees nothing of S; once approved it reads every event of S
// in full and nothing of T or of other courts' requests; each read is in the audit log, in each
// issuer's own trail and on each issuer's poll stream; the package verifies with the CLI and
// fails, naming the token, when one byte of one partner token changes; the first package
// fulfils the request; when the window ends, access ends at once.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CompactSign, createLocalJWKSet, importJWK, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { DataSource } from 'typeorm';
import { codeOf, TestDatabase, TestGateway } from './support/app';
import { runCli } from './support/cli-runner';
import { approveByReviewers } from './support/legal-approval';
import { assertion, TestKey } from './support/keys';
import { makeSet, signal } from './support/sets';

const S = 'v1:disclosed-subject-S-0000000000000000000000';
const T = 'v1:other-subject-T-000000000000000000000000000';
const DISCLOSURE_NOTICE = 'urn:risk-exchange:event:legal-disclosure';
const PUBLISH = 'mutation($t: [String!]!) { publishEvents(tokens: $t) { status eventId description } }';
const EVENTS = `query($r: ID!, $first: Int, $after: String) { disclosedEvents(requestId: $r, first: $first, after: $after) {
  edges { cursor node { id issuer jti subject type distribution status evidence reasonCodes details token redactedFields } } pageInfo { hasNextPage endCursor } } }`;
const HISTORY = 'query($r: ID!) { disclosedScoreHistory(requestId: $r) { edges { node { at tier previousTier causedBy withheldCauses } } } }';
const PACKAGE = 'query($r: ID!) { legalDisclosurePackage(requestId: $r) { requestId jti jws events status issuedAt } }';
const TRAIL = 'query($f: AuditLogFilter) { myAuditTrail(filter: $f, first: 50) { edges { node { actor action target details } } } }';
const AUDIT_LOG = 'query($f: AuditLogFilter) { auditLog(filter: $f, first: 50) { edges { node { actor action target details } } } }';

describe('legal disclosure: access, audit, notices, package (e2e)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let sql: DataSource;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  const keys: Record<string, TestKey> = {};
  const streams: Record<string, string> = {};
  /** Every published event of S by id, with its token. */
  const onS = new Map<string, { issuer: string; token: string; jti: string }>();
  const onT: string[] = [];
  let request = ''; // court-d's DISCLOSURE of S
  let requestOnT = ''; // court-d's DISCLOSURE of T, never approved
  let otherCourtRequest = ''; // court-e's DISCLOSURE of S
  const as = (p: string, query: string, variables: Record<string, unknown> = {}) => gw.as(p, keys[p], query, variables);

  async function publish(partner: string, tokens: string[]): Promise<string[]> {
    const res = await as(partner, PUBLISH, { t: tokens });
    expect(res.errors).toBeUndefined();
    for (const r of res.data!.publishEvents) expect(r).toMatchObject({ status: 'ACCEPTED' });
    return res.data!.publishEvents.map((r: { eventId: string }) => r.eventId);
  }
  async function publishOnS(partner: string, token: string, jti: string): Promise<string> {
    const [id] = await publish(partner, [token]);
    onS.set(id, { issuer: partner, token, jti });
    return id;
  }
  const legal = (caseReference: string) => ({ kind: 'disclosure', legal_basis: 'Code of Criminal Procedure, s. 95', case_reference: caseReference, authority: 'District Court Example' });

  async function ssf(partner: string, method: string, p: string, body?: unknown) {
    const res = await fetch(`${gw.url}${p}`, {
      method,
      headers: { authorization: `Bearer ${await assertion(keys[partner], partner)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  /** The legal-disclosure notices on a partner's poll stream (verified with the gateway JWKS), acknowledged. */
  async function disclosureNotices(partner: string): Promise<Array<JWTPayload & Record<string, any>>> {
    const res = await ssf(partner, 'POST', `/ssf/poll/${streams[partner]}`, { maxEvents: 50, returnImmediately: true });
    expect(res.status).toBe(200);
    const sets: Array<JWTPayload & Record<string, any>> = [];
    for (const token of Object.values(res.body.sets as Record<string, string>)) sets.push((await jwtVerify(token, jwks, { audience: partner, typ: 'secevent+jwt' })).payload as JWTPayload & Record<string, any>);
    if (sets.length) await ssf(partner, 'POST', `/ssf/poll/${streams[partner]}`, { maxEvents: 0, returnImmediately: true, ack: sets.map((s) => s.jti) });
    return sets.filter((s) => DISCLOSURE_NOTICE in s.events);
  }

  beforeAll(async () => {
    db = await TestDatabase.create();
    // No deadline sweep: access must end by `access_until` alone (the last test moves it by SQL).
    gw = await TestGateway.start(db, { AUDIT_CHECKPOINT_SECONDS: '0', LEGAL_SWEEP_SECONDS: '0' });
    sql = gw.app.get(DataSource);
    keys.operator = gw.operatorKey;
    for (const [id, kind] of [['bank-a', 'BANK'], ['bank-b', 'BANK'], ['shop-c', 'ECOMMERCE'], ['court-d', 'LEGAL'], ['court-e', 'LEGAL'], ['officer-2', 'OPERATOR']]) keys[id] = await gw.registerPartner(id, kind);
    jwks = createLocalJWKSet((await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet);
    for (const partner of ['bank-a', 'bank-b', 'shop-c', 'court-d']) {
      const made = await ssf(partner, 'POST', '/ssf/streams', { events_requested: [DISCLOSURE_NOTICE], description: `${partner} legal notices` });
      expect(made.status).toBe(201);
      streams[partner] = made.body.stream_id;
    }
    const a = keys['bank-a'];
    const b = keys['bank-b'];
    const c = keys['shop-c'];
    // S: every distribution, evidence, a flag, and a signal that is retracted later.
    await publishOnS('bank-a', await signal(a, 'bank-a', { distribution: 'issuer_only', evidence: { txn_count: 14, cards: ['x1'] } }, { subject: S, jti: 'a-sig-1' }), 'a-sig-1');
    await publishOnS('bank-a', await makeSet(a, 'bank-a', 'account-flag', { action: 'freeze', reason_codes: ['cash_out_ring'] }, { subject: S, jti: 'a-flag-1' }), 'a-flag-1');
    await publishOnS('bank-b', await signal(b, 'bank-b', { distribution: 'granted', category: 'money_mule' }, { subject: S, jti: 'b-sig-1' }), 'b-sig-1');
    await publishOnS('shop-c', await signal(c, 'shop-c', { distribution: 'consortium', category: 'merchant_collusion' }, { subject: S, jti: 'c-sig-1' }), 'c-sig-1');
    await publishOnS('bank-b', await signal(b, 'bank-b', { distribution: 'consortium' }, { subject: S, jti: 'b-sig-2' }), 'b-sig-2');
    await publishOnS('bank-b', await makeSet(b, 'bank-b', 'retraction', { retracts_jti: 'b-sig-2', reason: 'error' }, { subject: S, jti: 'b-retract-1' }), 'b-retract-1');
    // T: never to be shown through a disclosure of S.
    onT.push(...(await publish('bank-a', [await signal(a, 'bank-a', { distribution: 'consortium' }, { subject: T, jti: 'a-sig-T' })])));
    [request] = await publish('court-d', [await makeSet(keys['court-d'], 'court-d', 'legal-request', legal('CASE-S-1'), { subject: S, jti: 'court-d-S' })]);
    [requestOnT] = await publish('court-d', [await makeSet(keys['court-d'], 'court-d', 'legal-request', legal('CASE-T-1'), { subject: T, jti: 'court-d-T' })]);
    [otherCourtRequest] = await publish('court-e', [await makeSet(keys['court-e'], 'court-e', 'legal-request', legal('CASE-E-1'), { subject: S, jti: 'court-e-S' })]);
  });
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it('shows nothing of S before approval: NOT_FOUND through the request, FORBIDDEN through the sharing reads', async () => {
    expect((await sql.query('SELECT status FROM legal_request WHERE id = $1', [request]))[0].status).toBe('SUBMITTED');
    for (const query of [EVENTS, HISTORY, PACKAGE]) {
      const res = await as('court-d', query, { r: request });
      expect(codeOf(res)).toBe('NOT_FOUND');
      expect(res.errors![0].message).toBe(`no open disclosure ${request}`);
      expect(res.data).toBeNull();
    }
    expect(codeOf(await as('court-d', 'query($s: String!) { signals(subject: $s) { edges { node { id } } } }', { s: S }))).toBe('FORBIDDEN');
    expect(codeOf(await as('court-d', 'query($s: String!) { riskScore(subject: $s) { tier } }', { s: S }))).toBe('FORBIDDEN');
    // The positive twin: a bank reads S through sharing (the consortium events).
    const bank = await as('bank-a', 'query($s: String!) { signals(subject: $s) { edges { node { id } } } }', { s: S });
    expect(bank.errors).toBeUndefined();
    expect(bank.data!.signals.edges.length).toBeGreaterThan(0);
  });

  it('refuses a bank and the operator: disclosure reads are for LEGAL partners', async () => {
    expect(codeOf(await as('bank-a', EVENTS, { r: request }))).toBe('FORBIDDEN');
    expect(codeOf(await as('operator', PACKAGE, { r: request }))).toBe('FORBIDDEN');
  });

  it('after approval shows every event of S in full, retracted ones with their status, and nothing of T or of other courts', async () => {
    expect(await approveByReviewers(gw, request, [{ id: 'operator', key: gw.operatorKey }, { id: 'officer-2', key: keys['officer-2'] }])).toBe('APPROVED');
    const seen: any[] = [];
    let after: string | null = null;
    do {
      const res: any = await as('court-d', EVENTS, { r: request, first: 4, after });
      expect(res.errors).toBeUndefined();
      seen.push(...res.data.disclosedEvents.edges.map((e: any) => e.node));
      after = res.data.disclosedEvents.pageInfo.hasNextPage ? res.data.disclosedEvents.pageInfo.endCursor : null;
    } while (after);
    expect(seen.map((e) => e.id).sort()).toEqual([...onS.keys()].sort());
    for (const e of seen) {
      expect(e.subject).toBe(S);
      expect(e.token).toBe(onS.get(e.id)!.token);
      expect(e.redactedFields).toEqual([]);
    }
    expect(seen.some((e) => onT.includes(e.id) || [requestOnT, otherCourtRequest, request].includes(e.id))).toBe(false);
    expect(seen.find((e) => e.jti === 'a-sig-1')).toMatchObject({ distribution: 'issuer_only', reasonCodes: ['burst_large_txn'], evidence: JSON.stringify({ cards: ['x1'], txn_count: 14 }) });
    expect(seen.find((e) => e.jti === 'b-sig-2')).toMatchObject({ status: 'RETRACTED' });
    expect(JSON.parse(seen.find((e) => e.jti === 'b-retract-1').details)).toMatchObject({ reason: 'error' });
  });

  it('shows nothing through a request that is not approved, nor through another court\'s request', async () => {
    expect(codeOf(await as('court-d', EVENTS, { r: requestOnT }))).toBe('NOT_FOUND');
    expect((await as('court-e', EVENTS, { r: request })).errors![0].message).toBe(`no open disclosure ${request}`);
    expect(codeOf(await as('court-e', EVENTS, { r: otherCourtRequest }))).toBe('NOT_FOUND');
    expect(codeOf(await as('court-d', EVENTS, { r: 'not-a-uuid' }))).toBe('NOT_FOUND');
    // A FREEZE of S, even marked approved with an open window, opens no read: only a DISCLOSURE does.
    const [freeze] = await publish('court-d', [await makeSet(keys['court-d'], 'court-d', 'legal-request', { ...legal('CASE-F-1'), kind: 'freeze' }, { subject: S, jti: 'court-d-freeze' })]);
    await sql.query(`UPDATE legal_request SET status = 'APPROVED', access_until = now() + interval '1 hour' WHERE id = $1 AND kind = 'FREEZE'`, [freeze]);
    expect((await as('court-d', EVENTS, { r: freeze })).errors![0].message).toBe(`no open disclosure ${freeze}`);
    // The positive twin: court-d's approved request still reads.
    expect((await as('court-d', EVENTS, { r: request, first: 1 })).data!.disclosedEvents.edges).toHaveLength(1);
  });

  it('shows the score history of S with every cause', async () => {
    const changes = (await sql.query('SELECT caused_by::text[] AS caused_by FROM score_history WHERE subject = $1', [S])) as Array<{ caused_by: string[] }>;
    expect(changes.length).toBeGreaterThan(0);
    const res = await as('court-d', HISTORY, { r: request });
    expect(res.errors).toBeUndefined();
    const nodes = res.data!.disclosedScoreHistory.edges.map((e: any) => e.node);
    expect(nodes).toHaveLength(changes.length);
    expect(nodes.flatMap((n: any) => n.causedBy).sort()).toEqual(changes.flatMap((c) => c.caused_by).sort());
    for (const n of nodes) expect(n.withheldCauses).toBe(0);
  });

  it('puts each read in the audit log, in each issuer\'s own trail (its own events only), and on each issuer\'s stream', async () => {
    const log = (await gw.asOperator(AUDIT_LOG, { f: { action: 'legal.disclosure.read', target: request } })).data!.auditLog.edges.map((e: any) => e.node);
    expect(log).toHaveLength(4); // two pages of events, the one-event read after the refusals, the score history
    const full = log.map((n: any) => JSON.parse(n.details));
    expect(full.every((d: any) => d.subject === S && d.case_reference === 'CASE-S-1')).toBe(true);
    expect(log.every((n: any) => n.actor === 'court-d')).toBe(true);
    for (const issuer of ['bank-a', 'bank-b', 'shop-c']) {
      const trail = (await as(issuer, TRAIL, { f: { action: 'legal.disclosure.read', target: request } })).data!.myAuditTrail.edges.map((e: any) => JSON.parse(e.node.details));
      expect(trail.length).toBeGreaterThan(0);
      const own = [...onS].filter(([, v]) => v.issuer === issuer).map(([id]) => id);
      for (const d of trail) expect(Object.keys(d.items)).toEqual([issuer]);
      expect([...new Set(trail.flatMap((d: any) => d.items[issuer]))].filter((id) => own.includes(id as string)).length).toBe(own.length);
      const notices = await disclosureNotices(issuer);
      expect(notices.length).toBeGreaterThan(0);
      for (const n of notices) {
        expect(n.sub_id).toEqual({ format: 'opaque', id: S });
        expect(n.txn).toBe('court-d-S');
        expect(n.events[DISCLOSURE_NOTICE]).toMatchObject({ request_id: request, requester: 'court-d', authority: 'District Court Example', case_reference: 'CASE-S-1', legal_basis: 'Code of Criminal Procedure, s. 95' });
        for (const id of n.events[DISCLOSURE_NOTICE].event_ids) expect(own).toContain(id);
      }
    }
    // The requester is told nothing of its own read, and court-e (never disclosed) sees no entry.
    expect(await disclosureNotices('court-d')).toEqual([]);
    expect((await as('court-e', TRAIL, { f: { action: 'legal.disclosure.read' } })).data!.myAuditTrail.edges).toEqual([]);
    const history = (await sql.query(`SELECT count(*)::int AS n FROM legal_request_history WHERE request_id = $1 AND action = 'DISCLOSED'`, [request]))[0].n;
    // Every read is in the audit log; the history says it was read, at most once an hour.
    expect(log.length).toBeGreaterThan(1);
    expect(history).toBe(1);
  });

  let pkgFile = '';
  let pkg: any;
  it('issues a package that fulfils the request and verifies with the CLI', async () => {
    const res = await as('court-d', PACKAGE, { r: request });
    expect(res.errors).toBeUndefined();
    pkg = res.data!.legalDisclosurePackage;
    expect(pkg).toMatchObject({ requestId: request, events: onS.size, status: 'FULFILLED' });
    expect((await sql.query('SELECT status FROM legal_request WHERE id = $1', [request]))[0].status).toBe('FULFILLED');
    const fulfil = (await gw.asOperator(AUDIT_LOG, { f: { action: 'legal.fulfil', target: request } })).data!.auditLog.edges;
    expect(fulfil).toHaveLength(1);
    pkgFile = path.join(db.dataDir, 'package.jws');
    fs.writeFileSync(pkgFile, pkg.jws);
    const jwksFile = path.join(db.dataDir, 'gateway-jwks.json');
    fs.writeFileSync(jwksFile, await (await fetch(`${gw.url}/.well-known/jwks.json`)).text());
    // The keys a package carries prove nothing about who made it: without a key obtained from the
    // gateway (or an explicit opt-out) the origin is unverified and the exit code says so.
    const unpinned = await runCli(['legal', 'verify-package', pkgFile]);
    expect(unpinned.status).toBe(1);
    expect(unpinned.stderr).toContain('error: the package does not verify: origin not verified: the package was checked only with the gateway key it carries');
    const own = await runCli(['legal', 'verify-package', pkgFile, '--trust-embedded-keys']);
    expect(own.stderr).toBe('');
    expect(own.status).toBe(0);
    expect(own.stdout).toContain('gateway signature: OK');
    expect(own.stdout).toContain("keys from the package's own gateway_jwks");
    expect(own.stdout).toContain(`request ${request}: disclosure by court-d`);
    expect(own.stdout).toContain('operator at ');
    expect(own.stdout.match(/^ {2}(request|event) token of .*: OK$/gm)).toHaveLength(onS.size + 1);
    expect(own.stdout).toContain(`VALID: the gateway signature and all ${onS.size + 1} token(s) verify`);
    const given = await runCli(['legal', 'verify-package', pkgFile, '--gateway-jwks', jwksFile, '--json']);
    expect(given.status).toBe(0);
    expect(given.json).toMatchObject({ ok: true, gateway: { ok: true, keysFrom: 'given' }, problems: [] });
    const thumbprint = given.json.gateway.thumbprint as string;
    expect(thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const wrongPin = await runCli(['legal', 'verify-package', pkgFile, '--gateway-thumbprint', 'A'.repeat(43)]);
    expect(wrongPin.status).toBe(1);
    expect(wrongPin.stderr).toContain(`origin not verified: the package is signed by gateway key ${thumbprint}, not by the pinned ${'A'.repeat(43)}`);
    expect((await runCli(['legal', 'verify-package', pkgFile, '--gateway-thumbprint', thumbprint])).status).toBe(0);
  });

  it('fails the package (exit 1) when one byte of one partner token changes, naming that token', async () => {
    const [h, p] = pkg.jws.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    const target = payload.events.find((e: any) => e.issuer === 'bank-b');
    const i = target.token.lastIndexOf('.') + 10;
    target.token = target.token.slice(0, i) + (target.token[i] === 'A' ? 'B' : 'A') + target.token.slice(i + 1);
    const jti = onS.get(target.event_id)!.jti;
    const line = `  event token of bank-b, jti ${jti}, event ${target.event_id}: FAILED: the signature does not verify with key "${keys['bank-b'].kid}" of bank-b\n`;
    // As changed in transit: the gateway signature fails too, and the token is named.
    const changed = path.join(db.dataDir, 'changed.jws');
    fs.writeFileSync(changed, `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${pkg.jws.split('.')[2]}`);
    const jwksFile = path.join(db.dataDir, 'gateway-jwks.json');
    const inTransit = await runCli(['legal', 'verify-package', changed, '--gateway-jwks', jwksFile]);
    expect(inTransit.status).toBe(1);
    expect(inTransit.stdout).toContain('gateway signature: FAILED');
    expect(inTransit.stdout).toContain(line);
    // Re-signed with the gateway's own key: the gateway cannot forge a partner's token either.
    const gatewayJwk = JSON.parse(fs.readFileSync(path.join(db.dataDir, 'gateway-key.jwk'), 'utf8'));
    const resigned = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(JSON.parse(Buffer.from(h, 'base64url').toString('utf8'))).sign(await importJWK(gatewayJwk, 'EdDSA'));
    fs.writeFileSync(changed, resigned);
    const forged = await runCli(['legal', 'verify-package', changed, '--gateway-jwks', jwksFile]);
    expect(forged.status).toBe(1);
    expect(forged.stdout).toContain('gateway signature: OK');
    expect(forged.stdout).toContain(line);
    expect(forged.stdout.match(/FAILED/g)).toHaveLength(1);
    expect(forged.stdout).toContain('INVALID: 1 failure(s)');
    expect(forged.stderr).toContain(`error: the package does not verify: event token of bank-b, jti ${jti}`);
    // Unreadable input is a usage error (exit 2); the untouched package still verifies.
    expect((await runCli(['legal', 'verify-package', path.join(db.dataDir, 'missing.jws')])).status).toBe(2);
    fs.writeFileSync(changed, 'not a package');
    expect((await runCli(['legal', 'verify-package', changed])).status).toBe(2);
    expect((await runCli(['legal', 'verify-package', pkgFile, '--gateway-jwks', jwksFile])).status).toBe(0);
  });

  it('issues the package again while the window is open, audited, without fulfilling twice', async () => {
    const again = await as('court-d', PACKAGE, { r: request });
    expect(again.errors).toBeUndefined();
    expect(again.data!.legalDisclosurePackage).toMatchObject({ status: 'FULFILLED', events: onS.size });
    expect(again.data!.legalDisclosurePackage.jti).not.toBe(pkg.jti);
    expect((await gw.asOperator(AUDIT_LOG, { f: { action: 'legal.fulfil', target: request } })).data!.auditLog.edges).toHaveLength(1);
    const reads = (await gw.asOperator(AUDIT_LOG, { f: { action: 'legal.disclosure.read', target: request } })).data!.auditLog.edges.map((e: any) => JSON.parse(e.node.details));
    expect(reads.filter((d: any) => d.read === 'package').map((d: any) => d.package_jti).sort()).toEqual([pkg.jti, again.data!.legalDisclosurePackage.jti].sort());
  });

  it('ends access the moment the window closes (no sweep), and gives it back while it is open', async () => {
    await sql.query(`UPDATE legal_request SET access_until = now() - interval '1 second' WHERE id = $1`, [request]);
    for (const query of [EVENTS, HISTORY, PACKAGE]) expect((await as('court-d', query, { r: request })).errors![0].message).toBe(`no open disclosure ${request}`);
    await sql.query(`UPDATE legal_request SET access_until = now() + interval '1 hour' WHERE id = $1`, [request]);
    expect((await as('court-d', EVENTS, { r: request, first: 1 })).data!.disclosedEvents.edges).toHaveLength(1);
  });
  it('refuses a package over the cap with a clear error, and packages the subject again once it is within it', async () => {
    const BIG = 'v1:disclosure-cap-subject-0001';
    const [big] = await publish('court-d', [await makeSet(keys['court-d'], 'court-d', 'legal-request', legal('CASE-CAP-1'), { subject: BIG, jti: 'court-d-cap' })]);
    expect(await approveByReviewers(gw, big, [{ id: 'operator', key: gw.operatorKey }, { id: 'officer-2', key: keys['officer-2'] }])).toBe('APPROVED');
    // 501 copies of one stored bank event about BIG (rows as the ingest stores them; only the cap is under test).
    const [model] = await sql.query(`SELECT * FROM event WHERE issuer = 'bank-a' AND type = 'RISK_SIGNAL' LIMIT 1`);
    await sql.query(
      `INSERT INTO event (id, issuer, jti, kid, subject, type, category, score, confidence, distribution, grant_category, issued_at, token, received_at, status)
       SELECT gen_random_uuid(), issuer, 'cap-' || g, kid, $2, type, category, score, confidence, distribution, grant_category, issued_at, token, now(), status
       FROM event, generate_series(1, 501) g WHERE id = $1`,
      [model.id, BIG],
    );
    const refused = await as('court-d', PACKAGE, { r: big });
    expect(codeOf(refused)).toBe('BAD_USER_INPUT');
    expect(refused.errors![0].message).toBe('the subject has more than 500 disclosed events; a disclosure package holds at most 500 (read them page by page with disclosedEvents)');
    await sql.query(`DELETE FROM event WHERE subject = $1 AND jti = 'cap-501'`, [BIG]);
    const res = await as('court-d', PACKAGE, { r: big });
    expect(res.errors).toBeUndefined();
    expect(res.data!.legalDisclosurePackage).toMatchObject({ requestId: big, events: 500, status: 'FULFILLED' });
  });
});
