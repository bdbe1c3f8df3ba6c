// Who sees which event: decided here, in SQL, once. Every read path (events, signals, flags, and
// later scores and deliveries) builds its WHERE clause from these fragments. Pure strings.
import { PartnerKind } from '../partners/partner.enums';

/** Kinds that see other partners' events through distribution (consortium and grants). */
export const SHARING_KINDS: readonly PartnerKind[] = [PartnerKind.BANK, PartnerKind.ECOMMERCE, PartnerKind.INTERNAL_SCORER];

/**
 * SQL: whether a partner kind (an SQL expression, e.g. `p.kind`) shares, for fragments whose viewer
 * is a column rather than a parameter (the delivery fan-out: the viewer is each stream's owner).
 */
export function sharingKindSql(kind: string): string {
  return `(${kind} IN (${SHARING_KINDS.map((k) => `'${k}'`).join(', ')}))`;
}

/** The grant category of account flags and their lifts. */
export const ACCOUNT_FLAG_CATEGORY = 'account_flag';

export interface Viewer {
  id: string;
  kind: PartnerKind;
}

/** How a fragment refers to the viewer: named TypeORM parameters by default, or positional ones (`$3`) for raw SQL. */
export interface ViewerRefs {
  viewerId: string;
  viewerShares: string;
}

const NAMED: ViewerRefs = { viewerId: ':viewerId', viewerShares: ':viewerShares' };

/** Named parameters the fragments below use. */
export function viewerParams(viewer: Viewer): { viewerId: string; viewerShares: boolean } {
  return { viewerId: viewer.id, viewerShares: SHARING_KINDS.includes(viewer.kind) };
}

/** An active grant from the event's issuer to the viewer that covers the event's category. */
function activeGrant(e: string, g: string, r: ViewerRefs, extra = ''): string {
  return `EXISTS (SELECT 1 FROM "grant" ${g} WHERE ${g}.grantor = ${e}.issuer AND ${g}.grantee = ${r.viewerId}
    AND ${g}.revoked_at IS NULL AND ${g}.expires_at > now() AND ${e}.grant_category = ANY(${g}.categories)${extra})`;
}

/**
 * The event (alias `e`) is visible to the viewer:
 * - always to its issuer;
 * - `consortium`: to every partner of a sharing kind (the viewer is authenticated, so ACTIVE);
 * - `granted`: to a partner of a sharing kind holding an active grant that covers its category;
 * - `issuer_only`, and events without distribution (legal requests): to the issuer only.
 * LEGAL and OPERATOR partners never see other partners' events through distribution.
 */
export function visibleEvent(e = 'e', r: ViewerRefs = NAMED): string {
  return `(${e}.issuer = ${r.viewerId} OR (${r.viewerShares} AND (${e}.distribution = 'consortium' OR (${e}.distribution = 'granted' AND ${activeGrant(e, 'vg', r)}))))`;
}

/** Whether the viewer may see the event's evidence, token and reason codes (issuer, or a grant with includeEvidence). */
export function fullAccess(e = 'e', r: ViewerRefs = NAMED): string {
  return `(${e}.issuer = ${r.viewerId} OR (${r.viewerShares} AND ${activeGrant(e, 'fg', r, ` AND fg.include_evidence`)}))`;
}

/** Not expired (expired events drop out of reads and scores). */
export function notExpired(e = 'e'): string {
  return `(${e}.expires_at IS NULL OR ${e}.expires_at > now())`;
}

/** The statuses in which an approved disclosure gives access (until `access_until`). */
export const DISCLOSURE_OPEN_STATUSES = ['APPROVED', 'FULFILLED'] as const;

/**
 * The event (or score change: any alias with a `subject` column) is about the subject of an open
 * disclosure the viewer asked for: a DISCLOSURE of the viewer, APPROVED or FULFILLED, whose window
 * is still open. Decided against the database clock (`now()`), so access ends at `access_until` on
 * every replica whether or not the deadline sweep has run.
 */
export function disclosedTo(e = 'e', r: Pick<ViewerRefs, 'viewerId'> = NAMED): string {
  return `EXISTS (SELECT 1 FROM legal_request lr WHERE lr.requester = ${r.viewerId} AND ${openDisclosure('lr')} AND lr.subject = ${e}.subject)`;
}

/**
 * The same decision bound to one request (every disclosure read goes through one request, so a
 * court with two open disclosures reads each subject through its own request only).
 */
export function disclosedThrough(e = 'e', requestId = ':requestId', r: Pick<ViewerRefs, 'viewerId'> = NAMED): string {
  return `EXISTS (SELECT 1 FROM legal_request lr WHERE lr.id = ${requestId} AND lr.requester = ${r.viewerId} AND ${openDisclosure('lr')} AND lr.subject = ${e}.subject)`;
}

/** The request row (alias `lr`) is an open disclosure: approved (or its package issued) and its window not yet closed. */
export function openDisclosure(lr = 'lr'): string {
  return `${lr}.kind = 'DISCLOSURE' AND ${lr}.status IN (${DISCLOSURE_OPEN_STATUSES.map((s) => `'${s}'`).join(', ')}) AND ${lr}.access_until > now()`;
}
