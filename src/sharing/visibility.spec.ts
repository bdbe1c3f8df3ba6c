import { PartnerKind } from '../partners/partner.enums';
import { ACCOUNT_FLAG_CATEGORY, disclosedThrough, disclosedTo, fullAccess, notExpired, openDisclosure, SHARING_KINDS, sharingKindSql, viewerParams, visibleEvent } from './visibility';

// The fragments' behaviour against PostgreSQL is proven end to end (test/sharing.e2e-spec.ts,
// test/authorization-matrix.e2e-spec.ts); this spec pins their exact text, so that a changed
// condition (an operator, a column, a parameter) is noticed here first, beside the code.
const norm = (sql: string) => sql.replace(/\s+/g, ' ');

describe('visibility fragments', () => {
  it('lets exactly BANK, ECOMMERCE and INTERNAL_SCORER share', () => {
    expect([...SHARING_KINDS].sort()).toEqual(['BANK', 'ECOMMERCE', 'INTERNAL_SCORER']);
    expect(ACCOUNT_FLAG_CATEGORY).toBe('account_flag');
    expect(viewerParams({ id: 'bank-a', kind: PartnerKind.BANK })).toEqual({ viewerId: 'bank-a', viewerShares: true });
    expect(viewerParams({ id: 'shop-b', kind: PartnerKind.ECOMMERCE })).toEqual({ viewerId: 'shop-b', viewerShares: true });
    expect(viewerParams({ id: 'scorer-c', kind: PartnerKind.INTERNAL_SCORER })).toEqual({ viewerId: 'scorer-c', viewerShares: true });
    expect(viewerParams({ id: 'court-d', kind: PartnerKind.LEGAL })).toEqual({ viewerId: 'court-d', viewerShares: false });
    expect(viewerParams({ id: 'operator', kind: PartnerKind.OPERATOR })).toEqual({ viewerId: 'operator', viewerShares: false });
  });

  it('shows an event to its issuer, to sharing kinds when consortium, and through an active covering grant when granted', () => {
    expect(norm(visibleEvent())).toBe(
      "(e.issuer = :viewerId OR (:viewerShares AND (e.distribution = 'consortium' OR (e.distribution = 'granted' AND " +
        'EXISTS (SELECT 1 FROM "grant" vg WHERE vg.grantor = e.issuer AND vg.grantee = :viewerId AND vg.revoked_at IS NULL AND vg.expires_at > now() AND e.grant_category = ANY(vg.categories))))))',
    );
    expect(norm(visibleEvent('ev', { viewerId: '$3', viewerShares: '$4' }))).toBe(
      "(ev.issuer = $3 OR ($4 AND (ev.distribution = 'consortium' OR (ev.distribution = 'granted' AND " +
        'EXISTS (SELECT 1 FROM "grant" vg WHERE vg.grantor = ev.issuer AND vg.grantee = $3 AND vg.revoked_at IS NULL AND vg.expires_at > now() AND ev.grant_category = ANY(vg.categories))))))',
    );
  });

  it('gives full access to the issuer and to grantees of an active covering grant with evidence only', () => {
    expect(norm(fullAccess())).toBe(
      '(e.issuer = :viewerId OR (:viewerShares AND EXISTS (SELECT 1 FROM "grant" fg WHERE fg.grantor = e.issuer AND fg.grantee = :viewerId AND fg.revoked_at IS NULL AND fg.expires_at > now() AND e.grant_category = ANY(fg.categories) AND fg.include_evidence)))',
    );
    expect(norm(fullAccess('x', { viewerId: '$1', viewerShares: '$2' }))).toBe(
      '(x.issuer = $1 OR ($2 AND EXISTS (SELECT 1 FROM "grant" fg WHERE fg.grantor = x.issuer AND fg.grantee = $1 AND fg.revoked_at IS NULL AND fg.expires_at > now() AND x.grant_category = ANY(fg.categories) AND fg.include_evidence)))',
    );
  });

  it('names the sharing kinds in SQL for a viewer held in a column', () => {
    expect(sharingKindSql('p.kind')).toBe("(p.kind IN ('BANK', 'ECOMMERCE', 'INTERNAL_SCORER'))");
  });

  it('drops expired events, keeping those without an expiry', () => {
    expect(notExpired()).toBe('(e.expires_at IS NULL OR e.expires_at > now())');
    expect(notExpired('s')).toBe('(s.expires_at IS NULL OR s.expires_at > now())');
  });

  it('opens a disclosure only while it is an APPROVED or FULFILLED DISCLOSURE whose window has not closed (database clock)', () => {
    expect(openDisclosure()).toBe("lr.kind = 'DISCLOSURE' AND lr.status IN ('APPROVED', 'FULFILLED') AND lr.access_until > now()");
    expect(openDisclosure('x')).toBe("x.kind = 'DISCLOSURE' AND x.status IN ('APPROVED', 'FULFILLED') AND x.access_until > now()");
  });

  it('discloses to the requester of an open disclosure on the event\'s subject only', () => {
    expect(disclosedTo()).toBe(
      "EXISTS (SELECT 1 FROM legal_request lr WHERE lr.requester = :viewerId AND lr.kind = 'DISCLOSURE' AND lr.status IN ('APPROVED', 'FULFILLED') AND lr.access_until > now() AND lr.subject = e.subject)",
    );
    expect(disclosedTo('h', { viewerId: '$2' })).toBe(
      "EXISTS (SELECT 1 FROM legal_request lr WHERE lr.requester = $2 AND lr.kind = 'DISCLOSURE' AND lr.status IN ('APPROVED', 'FULFILLED') AND lr.access_until > now() AND lr.subject = h.subject)",
    );
  });

  it('binds a disclosure read to one request: its id, its requester, its subject', () => {
    expect(disclosedThrough()).toBe(
      "EXISTS (SELECT 1 FROM legal_request lr WHERE lr.id = :requestId AND lr.requester = :viewerId AND lr.kind = 'DISCLOSURE' AND lr.status IN ('APPROVED', 'FULFILLED') AND lr.access_until > now() AND lr.subject = e.subject)",
    );
    expect(disclosedThrough('h', '$1', { viewerId: '$2' })).toBe(
      "EXISTS (SELECT 1 FROM legal_request lr WHERE lr.id = $1 AND lr.requester = $2 AND lr.kind = 'DISCLOSURE' AND lr.status IN ('APPROVED', 'FULFILLED') AND lr.access_until > now() AND lr.subject = h.subject)",
    );
  });
});
