// The legal-request workflow as a pure state machine (no Nest, no TypeORM): which transitions
// exist, who may make them, and how many approvals a kind needs. README "Legal requests".
//
//   SUBMITTED ─start review─▶ UNDER_REVIEW ─approvals─▶ APPROVED ─▶ FULFILLED | EXPIRED
//       │                        │  └─reject─▶ REJECTED
//       └──────── withdraw (requester, before a decision) ──────▶ WITHDRAWN

export enum LegalKind {
  DISCLOSURE = 'DISCLOSURE',
  FREEZE = 'FREEZE',
  PRESERVATION = 'PRESERVATION',
  /** Ends an approved FREEZE or PRESERVATION; reviewed like the kind it releases. */
  RELEASE = 'RELEASE',
}

export enum LegalStatus {
  SUBMITTED = 'SUBMITTED',
  UNDER_REVIEW = 'UNDER_REVIEW',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
  FULFILLED = 'FULFILLED',
  EXPIRED = 'EXPIRED',
  WITHDRAWN = 'WITHDRAWN',
}

/** The token's lowercase `kind` (profile section 3) as a LegalKind. */
export const KIND_OF_TOKEN: Readonly<Record<string, LegalKind>> = {
  disclosure: LegalKind.DISCLOSURE,
  freeze: LegalKind.FREEZE,
  preservation: LegalKind.PRESERVATION,
};

/** Statuses in which no decision has been reached yet. */
export const UNDECIDED: readonly LegalStatus[] = [LegalStatus.SUBMITTED, LegalStatus.UNDER_REVIEW];

/** Statuses a request can never leave. */
export const FINAL: readonly LegalStatus[] = [LegalStatus.REJECTED, LegalStatus.FULFILLED, LegalStatus.EXPIRED, LegalStatus.WITHDRAWN];

/** Every transition the workflow allows (from → to). */
const TRANSITIONS: Readonly<Record<LegalStatus, readonly LegalStatus[]>> = {
  [LegalStatus.SUBMITTED]: [LegalStatus.UNDER_REVIEW, LegalStatus.WITHDRAWN],
  [LegalStatus.UNDER_REVIEW]: [LegalStatus.APPROVED, LegalStatus.REJECTED, LegalStatus.WITHDRAWN],
  [LegalStatus.APPROVED]: [LegalStatus.FULFILLED, LegalStatus.EXPIRED],
  [LegalStatus.REJECTED]: [],
  [LegalStatus.FULFILLED]: [],
  [LegalStatus.EXPIRED]: [],
  [LegalStatus.WITHDRAWN]: [],
};

export function canTransition(from: LegalStatus, to: LegalStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** What an operation needs the request's status to be, in words, for the refusal message. */
export function transitionRefusal(operation: string, from: LegalStatus, to: LegalStatus): string | null {
  if (canTransition(from, to)) return null;
  const allowedFrom = (Object.keys(TRANSITIONS) as LegalStatus[]).filter((s) => TRANSITIONS[s].includes(to));
  return `cannot ${operation}: the request is ${from}${allowedFrom.length ? `; ${operation} needs ${allowedFrom.join(' or ')}` : ''}`;
}

/**
 * Approvals from distinct reviewers a kind needs: DISCLOSURE and FREEZE (and the release of a
 * freeze) need `minApprovals` (LEGAL_MIN_APPROVALS, four-eyes); a PRESERVATION only keeps data,
 * and needs one, while its release (after which retention may purge the evidence) needs four eyes.
 */
export function approvalsNeeded(kind: LegalKind, minApprovals: number, _releasedKind: LegalKind | null = null): number {
  // Keeping data needs one approval; everything else, a release of a preservation included (it lets
  // retention purge the evidence), needs four eyes.
  return kind === LegalKind.PRESERVATION ? 1 : minApprovals;
}

/** Why this reviewer may not approve, or null: the requester never approves its own request; nobody approves twice. */
export function approvalRefusal(reviewer: string, requester: string, earlierApprovers: readonly string[]): string | null {
  if (reviewer === requester) return 'cannot approve: a requester may not approve its own request';
  if (earlierApprovers.includes(reviewer)) return `cannot approve: ${reviewer} has already approved this request (four-eyes: approvals must come from distinct reviewers)`;
  return null;
}

/**
 * The end of a disclosure's access window: LEGAL_DISCLOSURE_DAYS after approval, or the order's
 * deadline when that comes first.
 */
export function accessUntil(approvedAt: Date, deadline: Date | null, disclosureDays: number): Date {
  const byDays = new Date(approvedAt.getTime() + disclosureDays * 86_400_000);
  return deadline && deadline.getTime() < byDays.getTime() ? deadline : byDays;
}

/** An undecided request whose deadline has passed. */
export function isOverdue(status: LegalStatus, deadline: Date | null, now: Date): boolean {
  return UNDECIDED.includes(status) && deadline !== null && deadline.getTime() <= now.getTime();
}
