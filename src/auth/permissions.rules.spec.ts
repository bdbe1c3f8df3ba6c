import { PartnerKind } from '../partners/partner.enums';
import { kindHas, Permission, PERMISSIONS_BY_KIND } from './permissions';

// The README's permission table, written out by hand (not derived from PERMISSIONS_BY_KIND):
// a permission given to or taken from a kind by mistake fails here, whatever the code's table says.
const O = PartnerKind.OPERATOR, B = PartnerKind.BANK, E = PartnerKind.ECOMMERCE, S = PartnerKind.INTERNAL_SCORER, L = PartnerKind.LEGAL;
const EXPECTED: Record<Permission, PartnerKind[]> = {
  [Permission.ReadSelf]: [O, B, E, S, L],
  [Permission.ManageOwnKeys]: [O, B, E, S, L],
  [Permission.ManagePartners]: [O],
  [Permission.ReadMetrics]: [O],
  [Permission.ReadAuditLog]: [O],
  [Permission.VerifyAuditLog]: [O],
  [Permission.CreateAuditCheckpoint]: [O],
  [Permission.ReadOwnAuditTrail]: [O, B, E, S, L],
  [Permission.ReadAuditCheckpoint]: [O, B, E, S, L],
  [Permission.PublishEvents]: [B, E, S, L],
  [Permission.ReadOwnEvents]: [O, B, E, S, L],
  [Permission.ManageGrants]: [B, E, S],
  [Permission.ReadOwnGrants]: [O, B, E, S, L],
  [Permission.ReadAllGrants]: [O],
  [Permission.ReadSharedEvents]: [B, E, S],
  [Permission.ReadRiskScores]: [B, E, S],
  [Permission.ManagePushTokens]: [O, B, E, S, L],
  [Permission.ManageStreams]: [B, E, S, L],
  [Permission.ReadStreams]: [B, E, S, L],
  [Permission.SubmitLegalRequests]: [L],
  [Permission.ReadDisclosures]: [L],
  [Permission.ReviewLegalRequests]: [O],
};
const KINDS = [O, B, E, S, L];

describe('permission table against the README (hand-written)', () => {
  it('lists exactly the twenty-two permissions, by their string values', () => {
    expect(Object.values(Permission).sort()).toEqual(Object.keys(EXPECTED).sort());
    expect(Object.values(Permission)).toHaveLength(22);
    for (const p of Object.values(Permission)) expect(Permission[p as keyof typeof Permission]).toBe(p);
  });

  it.each(KINDS)('%s holds exactly the permissions the README gives it', (kind) => {
    const expected = Object.values(Permission).filter((p) => EXPECTED[p].includes(kind)).sort();
    expect([...PERMISSIONS_BY_KIND[kind]].sort()).toEqual(expected);
    expect(new Set(PERMISSIONS_BY_KIND[kind]).size).toBe(PERMISSIONS_BY_KIND[kind].length);
  });

  it('answers kindHas for every kind and permission as the README does', () => {
    const wrong: string[] = [];
    for (const kind of KINDS) {
      for (const p of Object.values(Permission)) if (kindHas(kind, p) !== EXPECTED[p].includes(kind)) wrong.push(`${kind} ${p}: ${kindHas(kind, p)}`);
    }
    expect(wrong).toEqual([]);
    // Every kind is covered (a new kind must be added to the README's table and to this spec).
    expect(Object.keys(PERMISSIONS_BY_KIND).sort()).toEqual([...KINDS].sort());
  });
});
