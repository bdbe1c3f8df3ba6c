import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { KeyStatus, SigningAlg } from './partner.enums';
import type { Partner } from './partner.entity';
import type { PublicJwk } from './jwk-policy';

/** A partner's public key. Keys are looked up within one partner only (composite primary key). */
@Entity({ name: 'partner_key' })
@Check('ck_partner_key_status', `"status" IN ('ACTIVE', 'REVOKED')`)
@Check('ck_partner_key_alg', `"alg" IN ('EdDSA', 'ES256', 'PS256', 'RS256')`)
@Index('ix_partner_key_active', ['partnerId', 'status'])
export class PartnerKey {
  @PrimaryColumn({ name: 'partner_id', type: 'varchar', length: 63 })
  partnerId: string;

  @PrimaryColumn({ type: 'varchar', length: 128 })
  kid: string;

  @Column({ type: 'varchar', length: 10 })
  alg: SigningAlg;

  /** The public JWK exactly as accepted (private members are refused at registration). */
  @Column({ type: 'jsonb' })
  jwk: PublicJwk;

  @Column({ type: 'varchar', length: 10, default: KeyStatus.ACTIVE })
  status: KeyStatus;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @ManyToOne('Partner', 'keys', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'partner_id' })
  partner?: Partner;
}
