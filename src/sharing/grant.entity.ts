import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A grant from one partner (grantor) to another (grantee): the grantee sees the grantor's events
 * of distribution `granted` in these categories until the grant expires or is revoked.
 */
@Entity({ name: 'grant' })
@Index('ix_grant_lookup', ['grantor', 'grantee'])
@Index('ix_grant_grantee', ['grantee'])
@Check('ck_grant_not_self', `"grantor" <> "grantee"`)
export class Grant {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'varchar', length: 63 })
  grantor: string;

  @Column({ type: 'varchar', length: 63 })
  grantee: string;

  /** Risk-signal categories, and `account_flag` for flags and their lifts. */
  @Column({ type: 'varchar', length: 32, array: true })
  categories: string[];

  /** Whether the grantee also sees evidence, the original token and reason codes. */
  @Column({ name: 'include_evidence', type: 'boolean' })
  includeEvidence: boolean;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'varchar', length: 500 })
  purpose: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
