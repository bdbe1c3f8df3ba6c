import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import type { Partner } from '../../partners/partner.entity';

/**
 * A static push credential (issue 14): what a standard SSF transmitter puts in the stream's
 * `authorization_header`. Only the SHA-256 of the secret is kept (the secret is 320 random bits,
 * so a fast hash is enough); it authenticates `POST /events` for one partner and nothing else.
 */
@Entity({ name: 'push_token' })
@Unique('uq_push_token_hash', ['tokenHash'])
@Index('ix_push_token_partner', ['partnerId', 'createdAt'])
export class PushToken {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'partner_id', type: 'varchar', length: 63 })
  partnerId: string;

  /** Hex SHA-256 of the whole token text (`rxp_...`). */
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  /** The first characters of the token, so a person can tell tokens apart in a list. */
  @Column({ type: 'varchar', length: 16 })
  hint: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  label: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Who created it: the partner itself or the operator. */
  @Column({ name: 'created_by', type: 'varchar', length: 63 })
  createdBy: string;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_by', type: 'varchar', length: 63, nullable: true })
  revokedBy: string | null;

  @ManyToOne('Partner', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'partner_id' })
  partner?: Partner;
}
