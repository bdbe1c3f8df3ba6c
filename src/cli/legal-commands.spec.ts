import { CliError, EXIT } from './cli-errors';
import { packageFromText, renderReport } from './legal-commands';
import type { PackageReport } from '../legal/disclosure/package';

describe('legal verify-package: input and report', () => {
  it('reads the compact JWS, or a saved answer carrying it, and refuses anything else with exit 2', () => {
    expect(packageFromText('  aa.bb.cc\n', 'p.jws')).toBe('aa.bb.cc');
    expect(packageFromText('{"jws":"aa.bb.cc"}', 'p.json')).toBe('aa.bb.cc');
    expect(packageFromText('{"data":{"legalDisclosurePackage":{"jws":"aa.bb.cc"}}}', 'p.json')).toBe('aa.bb.cc');
    for (const text of ['not a package', '{"jws":1}', 'aa.bb']) {
      let thrown: unknown;
      try {
        packageFromText(text, 'p.txt');
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(CliError);
      expect((thrown as CliError).exitCode).toBe(EXIT.usage);
      expect((thrown as CliError).message).toBe('p.txt holds neither a compact JWS nor JSON with a "jws" member');
    }
  });

  const report = (ok: boolean): PackageReport => ({
    ok,
    gateway: { ok: true, detail: 'verifies', kid: 'gw-1', thumbprint: 'TP', keysFrom: 'package' },
    payload: {
      iss: 'https://gw.example', iat: 1_800_000_000, jti: 'pkg-1',
      request: { id: 'req-1', kind: 'disclosure', requester: 'court-d', subject: 'v1:s', case_reference: 'C-1', authority: 'Court', legal_basis: 'Art. 1', deadline: null, approved_at: 1_800_000_000, access_until: 1_802_592_000, token: 't' },
      approvals: [{ reviewer: 'operator', at: 1_799_999_000, comment: 'lawful' }],
      events: [], keys: [], gateway_jwks: { keys: [] },
    },
    tokens: [
      { role: 'request', issuer: 'court-d', jti: 'j-0', eventId: 'req-1', ok: true, detail: 'signature by court-d' },
      { role: 'event', issuer: 'bank-a', jti: 'j-1', eventId: 'ev-1', ok, detail: ok ? 'signature by bank-a' : 'the signature does not verify with key "k1" of bank-a' },
    ],
    problems: ok ? [] : ['x'],
  });

  it('prints one line per token, naming it, OK or FAILED with the reason', () => {
    const bad = renderReport(report(false));
    expect(bad).toContain('  request token of court-d, jti j-0, event req-1: OK\n');
    expect(bad).toContain('  event token of bank-a, jti j-1, event ev-1: FAILED: the signature does not verify with key "k1" of bank-a\n');
    expect(bad).toContain('INVALID: 1 failure(s)');
    const good = renderReport(report(true));
    expect(good).toContain('gateway signature: OK (key gw-1, RFC 7638 thumbprint TP)');
    expect(good).toContain("keys from the package's own gateway_jwks");
    expect(good).toContain('  operator at 2027-01-15T07:43:20.000Z: lawful');
    expect(good).toContain('  approved at    2027-01-15T08:00:00.000Z, access until 2027-02-14T08:00:00.000Z');
    expect(good).toContain('VALID: the gateway signature and all 2 token(s) verify');
  });

  it('says which gateway keys were used when they were given', () => {
    const r = report(true);
    r.gateway.keysFrom = 'given';
    expect(renderReport(r, 'jwks.json')).toContain('  keys from jwks.json\n');
  });
});
