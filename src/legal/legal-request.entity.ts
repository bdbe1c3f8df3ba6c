import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { LegalKind, LegalStatus } from './legal-workflow';

/**
 * A legal request and where its review stands. Opened from a LEGAL partner's signed
 * `legal-request` token (its id is the stored event's id), or, for a RELEASE, by the requester of
 * an approved freeze or preservation. Every change is a row of `legal_request_history` too.
 */
@Entity({ name: 'legal_request' })
@Index('ix_legal_request_requester', ['requester', 'submittedAt'])
@Index('ix_legal_request_status', ['status', 'submittedAt'])
@Index('ix_legal_request_subject', ['subject', 'kind', 'status'])
@Check('ck_legal_request_kind', `"kind" IN ('DISCLOSURE', 'FREEZE', 'PRESERVATION', 'RELEASE')`)
@Check('ck_legal_request_status', `"status" IN ('SUBMITTED', 'UNDER_REVIEW', 'APPROVED', 'REJECTED', 'FULFILLED', 'EXPIRED', 'WITHDRAWN')`)
export class LegalRequest {
  /** The id of the stored legal-request event (a RELEASE: a new id). */
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** The LEGAL partner that asked. */
  @Column({ type: 'varchar', length: 63 })
  requester: string;

  @Column({ type: 'varchar', length: 16 })
  kind: LegalKind;

  /** The pseudonymous account concerned. */
  @Column({ type: 'varchar', length: 256 })
  subject: string;

  @Column({ name: 'legal_basis', type: 'varchar', length: 512 })
  legalBasis: string;

  @Column({ name: 'case_reference', type: 'varchar', length: 128 })
  caseReference: string;

  @Column({ type: 'varchar', length: 256 })
  authority: string;

  /** The order's deadline (the token's `deadline`), if it has one. */
  @Column({ type: 'timestamptz', nullable: true })
  deadline: Date | null;

  @Column({ type: 'varchar', length: 4096, nullable: true })
  justification: string | null;

  /** The requester's signed legal-request token (a RELEASE carries its original request's token). */
  @Column({ type: 'text' })
  token: string;

  /** The jti of that token. */
  @Column({ type: 'varchar', length: 128 })
  jti: string;

  @Column({ type: 'varchar', length: 16 })
  status: LegalStatus;

  @Column({ name: 'submitted_at', type: 'timestamptz' })
  submittedAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  /** When the decision (APPROVED, REJECTED or WITHDRAWN) was reached. */
  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt: Date | null;

  /** DISCLOSURE: the end of the access window that the approval opened. */
  @Column({ name: 'access_until', type: 'timestamptz', nullable: true })
  accessUntil: Date | null;

  /** When an undecided request was first found past its deadline (marked once in its history). */
  @Column({ name: 'overdue_at', type: 'timestamptz', nullable: true })
  overdueAt: Date | null;

  /** RELEASE: the approved FREEZE or PRESERVATION it asks to end. */
  @Column({ name: 'releases', type: 'uuid', nullable: true })
  releases: string | null;

  /** FREEZE or PRESERVATION: when its effect ended (an approved RELEASE, or the freeze's deadline). */
  @Column({ name: 'released_at', type: 'timestamptz', nullable: true })
  releasedAt: Date | null;

  /** FREEZE: the id of the gateway's own account-flag event that carries it. */
  @Column({ name: 'flag_event_id', type: 'uuid', nullable: true })
  flagEventId: string | null;
}

/** What happened to a request (its history, oldest first). */
export enum LegalAction {
  SUBMITTED = 'SUBMITTED',
  REVIEW_STARTED = 'REVIEW_STARTED',
  /** One reviewer's approval; the request is APPROVED when enough distinct reviewers approved. */
  APPROVAL = 'APPROVAL',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
  WITHDRAWN = 'WITHDRAWN',
  FULFILLED = 'FULFILLED',
  EXPIRED = 'EXPIRED',
  /** The deadline passed before a decision. */
  OVERDUE = 'OVERDUE',
  /** A freeze or preservation ended (by a reviewed release, or the order's deadline). */
  RELEASED = 'RELEASED',
  /** A disclosure's access window closed. */
  ACCESS_ENDED = 'ACCESS_ENDED',
  /** Disclosure: the package was issued, or the subject's events were read. */
  DISCLOSED = 'DISCLOSED',
}

/** One entry of a request's history. APPROVAL rows are unique per (request, actor): four-eyes in the database too. */
@Entity({ name: 'legal_request_history' })
@Index('ix_legal_request_history_request', ['requestId', 'at'])
@Index('uq_legal_request_approval', ['requestId', 'actor'], { unique: true, where: `"action" = 'APPROVAL'` })
export class LegalRequestHistory {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'request_id', type: 'uuid' })
  requestId: string;

  @Column({ type: 'timestamptz' })
  at: Date;

  /** The partner that acted, or `system` (deadlines, fulfilment by the gateway). */
  @Column({ type: 'varchar', length: 63 })
  actor: string;

  @Column({ type: 'varchar', length: 16 })
  action: LegalAction;

  /** The status before and after (equal for an APPROVAL that does not decide yet, OVERDUE, DISCLOSED). */
  @Column({ name: 'from_status', type: 'varchar', length: 16, nullable: true })
  fromStatus: LegalStatus | null;

  @Column({ name: 'to_status', type: 'varchar', length: 16 })
  toStatus: LegalStatus;

  /** Why (required for a rejection). */
  @Column({ type: 'varchar', length: 2048, nullable: true })
  reason: string | null;

  @Column({ type: 'jsonb', nullable: true })
  details: Record<string, unknown> | null;
}
