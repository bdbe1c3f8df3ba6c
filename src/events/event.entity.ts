import { Check, Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';
import { numericTransformer } from '../partners/partner.entity';

export enum StoredEventType {
  RISK_SIGNAL = 'RISK_SIGNAL',
  ACCOUNT_FLAG = 'ACCOUNT_FLAG',
  FLAG_LIFTED = 'FLAG_LIFTED',
  RETRACTION = 'RETRACTION',
  LEGAL_REQUEST = 'LEGAL_REQUEST',
}

export enum EventStatus {
  ACTIVE = 'ACTIVE',
  RETRACTED = 'RETRACTED',
  LIFTED = 'LIFTED',
}

/**
 * Every published event, of every type, with the original compact token byte for byte.
 * (jti, issuer) is unique: the database, not only the code, guarantees exactly-once. Its index is
 * led by jti, so it also serves a retraction's lookup of its target by jti across issuers.
 */
@Entity({ name: 'event' })
@Unique('uq_event_jti_issuer', ['jti', 'issuer'])
@Index('ix_event_subject', ['subject', 'receivedAt'])
// Score reads: a subject's signals, pages of its flags (newest first), and its freeze/close flags.
@Index('ix_event_subject_type', ['subject', 'type', 'receivedAt', 'id'])
@Index('ix_event_subject_freeze', ['subject'], { where: `"type" = 'ACCOUNT_FLAG' AND "action" IN ('freeze', 'close')` })
@Index('ix_event_issuer', ['issuer', 'receivedAt'])
@Index('ix_event_expires', ['expiresAt'])
@Check('ck_event_status', `"status" IN ('ACTIVE', 'RETRACTED', 'LIFTED')`)
@Check('ck_event_type', `"type" IN ('RISK_SIGNAL', 'ACCOUNT_FLAG', 'FLAG_LIFTED', 'RETRACTION', 'LEGAL_REQUEST')`)
export class EventRecord {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'varchar', length: 63 })
  issuer: string;

  @Column({ type: 'varchar', length: 128 })
  jti: string;

  @Column({ type: 'varchar', length: 128 })
  kid: string;

  @Column({ type: 'varchar', length: 256 })
  subject: string;

  @Column({ type: 'varchar', length: 16 })
  type: StoredEventType;

  @Column({ type: 'varchar', length: 32, nullable: true })
  category: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  action: string | null;

  @Column({ type: 'numeric', precision: 7, scale: 6, nullable: true, transformer: numericTransformer })
  score: number | null;

  @Column({ type: 'numeric', precision: 7, scale: 6, nullable: true, transformer: numericTransformer })
  confidence: number | null;

  @Column({ name: 'reason_codes', type: 'varchar', length: 64, array: true, nullable: true })
  reasonCodes: string[] | null;

  /** issuer_only, granted or consortium; retractions and lifts carry their target's. Null: issuer only (legal requests). */
  @Column({ type: 'varchar', length: 16, nullable: true })
  distribution: string | null;

  /** The category a grant must cover: the signal's category, `account_flag` for flags and lifts, the target's for retractions. */
  @Column({ name: 'grant_category', type: 'varchar', length: 32, nullable: true })
  grantCategory: string | null;

  @Column({ name: 'observed_at', type: 'timestamptz', nullable: true })
  observedAt: Date | null;

  @Column({ name: 'issued_at', type: 'timestamptz' })
  issuedAt: Date;

  @Column({ name: 'effective_at', type: 'timestamptz', nullable: true })
  effectiveAt: Date | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  evidence: Record<string, unknown> | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  txn: string | null;

  /** For retractions and lifts: the jti of the issuer's own event they act on. */
  @Column({ name: 'target_jti', type: 'varchar', length: 128, nullable: true })
  targetJti: string | null;

  /** Type-specific extras: the retraction reason, the legal request's fields. */
  @Column({ type: 'jsonb', nullable: true })
  details: Record<string, unknown> | null;

  /** The compact token exactly as received: any receiver can re-verify it. */
  @Column({ type: 'text' })
  token: string;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;

  @Column({ type: 'varchar', length: 16, default: EventStatus.ACTIVE })
  status: EventStatus;

  @Column({ name: 'status_changed_at', type: 'timestamptz', nullable: true })
  statusChangedAt: Date | null;

  /** Id of the retraction or flag-lifted event that changed the status. */
  @Column({ name: 'status_changed_by', type: 'uuid', nullable: true })
  statusChangedBy: string | null;

  /** A legal hold keeps the event past retention (set by the legal-request workflow). */
  @Column({ name: 'legal_hold', type: 'boolean', default: false })
  legalHold: boolean;
}
