import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Where a delivery stands. */
export enum DeliveryState {
  /** To be delivered (push) or fetched (poll, subscription); unacknowledged. */
  PENDING = 'PENDING',
  /** Its stream is paused: kept, not delivered, until the stream is enabled. */
  HELD = 'HELD',
  /** Acknowledged (poll `ack`, subscription acknowledgement, or a push answered 202). */
  ACKED = 'ACKED',
  /** Push gave up after PUSH_MAX_ATTEMPTS; can be replayed. */
  DEAD = 'DEAD',
}

/**
 * The delivery ledger and outbox in one table: one row per notice per stream. Written in the
 * publishing transaction (so nothing committed is lost), read by every delivery method, and kept
 * after acknowledgement: it records which stream received which event, which is how a later
 * retraction or lift reaches every earlier recipient.
 */
@Entity({ name: 'delivery' })
@Index('ix_delivery_stream_state', ['streamId', 'state', 'createdAt'])
@Index('ix_delivery_event', ['eventId'])
@Index('ix_delivery_due', ['nextAttemptAt'], { where: `"state" = 'PENDING' AND "next_attempt_at" IS NOT NULL` })
@Check('ck_delivery_state', `"state" IN ('PENDING', 'HELD', 'ACKED', 'DEAD')`)
export class Delivery {
  /** The SET's `jti`: kept on every redelivery. */
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'stream_id', type: 'uuid' })
  streamId: string;

  /** The stream's owner, denormalised for per-partner reads and audit. */
  @Column({ type: 'varchar', length: 63 })
  receiver: string;

  /** The partner event that caused it (null for tier changes and control events). */
  @Column({ name: 'event_id', type: 'uuid', nullable: true })
  eventId: string | null;

  /** The single member of the SET's `events` claim. */
  @Column({ name: 'event_type', type: 'varchar', length: 256 })
  eventType: string;

  /** Claims of the SET other than `iss`, `iat` and `jti` (already masked for the receiver). */
  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  /** The signed SET, made at first delivery and sent unchanged afterwards. */
  @Column({ type: 'text', nullable: true })
  token: string | null;

  @Column({ type: 'varchar', length: 16 })
  state: string;

  /** Commit time of the notice (commit-to-delivery latency is measured from here). */
  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'first_sent_at', type: 'timestamptz', nullable: true })
  firstSentAt: Date | null;

  @Column({ name: 'acked_at', type: 'timestamptz', nullable: true })
  ackedAt: Date | null;

  /** Push attempts so far. */
  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /** Push: when the next attempt is due (also the claim lease of a replica sending it). */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  @Column({ name: 'last_error', type: 'varchar', length: 512, nullable: true })
  lastError: string | null;

  /** Poll `setErrs` (RFC 8936 section 2.4): what the receiver reported about this SET. */
  @Column({ name: 'set_err_code', type: 'varchar', length: 64, nullable: true })
  setErrCode: string | null;

  @Column({ name: 'set_err_description', type: 'varchar', length: 512, nullable: true })
  setErrDescription: string | null;
}
