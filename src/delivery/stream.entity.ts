import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** SSF delivery methods (SSF 1.0 section 6; RFC 8935 push, RFC 8936 poll). */
export const PUSH_METHOD = 'urn:ietf:rfc:8935';
export const POLL_METHOD = 'urn:ietf:rfc:8936';

/** SSF stream status (section 8.1.2), lowercase as on the wire. */
export enum StreamStatus {
  ENABLED = 'enabled',
  PAUSED = 'paused',
  DISABLED = 'disabled',
}

/**
 * An SSF event stream (SSF 1.0 section 8.1.1), owned by the partner that created it. Its subjects
 * are in `ssf_stream_subject` (default_subjects NONE: only what the owner added).
 */
@Entity({ name: 'ssf_stream' })
@Index('ix_ssf_stream_owner', ['owner', 'createdAt'])
@Check('ck_ssf_stream_status', `"status" IN ('enabled', 'paused', 'disabled')`)
@Check('ck_ssf_stream_method', `"delivery_method" IN ('urn:ietf:rfc:8935', 'urn:ietf:rfc:8936')`)
@Check('ck_ssf_stream_alg', `"signing_alg" IN ('EdDSA', 'RS256')`)
export class SsfStream {
  /** stream_id */
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** The partner that created the stream (the receiver). */
  @Column({ type: 'varchar', length: 63 })
  owner: string;

  /** The `aud` of every SET delivered on this stream. */
  @Column({ type: 'varchar', length: 256 })
  aud: string;

  @Column({ type: 'varchar', length: 1024, nullable: true })
  description: string | null;

  /** Event type URIs the receiver asked for (events_delivered = requested ∩ supported). */
  @Column({ name: 'events_requested', type: 'varchar', array: true })
  eventsRequested: string[];

  @Column({ name: 'delivery_method', type: 'varchar', length: 64 })
  deliveryMethod: string;

  /** Push: the receiver's URL. Poll: null (the gateway's poll URL is derived from the stream id). */
  @Column({ name: 'endpoint_url', type: 'varchar', length: 2048, nullable: true })
  endpointUrl: string | null;

  /** Push: sent verbatim as the Authorization header. Never returned in reads. */
  @Column({ name: 'authorization_header', type: 'varchar', length: 4096, nullable: true })
  authorizationHeader: string | null;

  /** Algorithm of the gateway signature on this stream's SETs. */
  @Column({ name: 'signing_alg', type: 'varchar', length: 8, default: 'EdDSA' })
  signingAlg: string;

  /** Seconds between two verification requests (SSF section 8.1.4). */
  @Column({ name: 'min_verification_interval', type: 'integer', default: 30 })
  minVerificationInterval: number;

  @Column({ type: 'varchar', length: 16, default: 'enabled' })
  status: string;

  @Column({ name: 'status_reason', type: 'varchar', length: 512, nullable: true })
  statusReason: string | null;

  @Column({ name: 'last_verification_at', type: 'timestamptz', nullable: true })
  lastVerificationAt: Date | null;

  /** Push: failed attempts in a row (a run of failures pauses the stream). */
  @Column({ name: 'consecutive_failures', type: 'integer', default: 0 })
  consecutiveFailures: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** A subject a stream watches (SSF section 8.1.3). */
@Entity({ name: 'ssf_stream_subject' })
@Index('ix_ssf_stream_subject_subject', ['subject'])
export class SsfStreamSubject {
  @PrimaryColumn({ name: 'stream_id', type: 'uuid' })
  streamId: string;

  @PrimaryColumn({ type: 'varchar', length: 256 })
  subject: string;

  @Column({ name: 'added_at', type: 'timestamptz' })
  addedAt: Date;
}
