import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The `jti` of every client assertion the token endpoint accepted, until the assertion could no
 * longer be accepted anyway: the primary key makes each one single-use across replicas.
 */
@Entity({ name: 'oauth_client_assertion' })
@Index('ix_oauth_client_assertion_expires', ['expiresAt'])
export class OAuthClientAssertion {
  @PrimaryColumn({ name: 'partner_id', type: 'varchar', length: 63 })
  partnerId: string;

  @PrimaryColumn({ type: 'varchar', length: 128 })
  jti: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
