import { Check, Column, CreateDateColumn, Entity, OneToMany, PrimaryColumn, Unique, UpdateDateColumn } from 'typeorm';
import { PartnerKind, PartnerStatus } from './partner.enums';
import type { PartnerKey } from './partner-key.entity';

/** Numeric columns come back as strings from `pg` and as numbers from PGlite: normalise both. */
export const numericTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

@Entity({ name: 'partner' })
@Check('ck_partner_id', `"id" ~ '^[a-z0-9][a-z0-9-]{1,62}$'`)
@Check('ck_partner_kind', `"kind" IN ('BANK', 'ECOMMERCE', 'LEGAL', 'INTERNAL_SCORER', 'OPERATOR')`)
@Check('ck_partner_status', `"status" IN ('ACTIVE', 'SUSPENDED')`)
@Check('ck_partner_trust_weight', `"trust_weight" >= 0 AND "trust_weight" <= 1`)
// SSF identity (issue 14): one issuer URL names one partner; the iat window is bounded (see PARTNER_IAT_AGE).
@Unique('uq_partner_ssf_issuer', ['ssfIssuer'])
@Check('ck_partner_max_iat_age', `"max_iat_age_seconds" IS NULL OR ("max_iat_age_seconds" >= 300 AND "max_iat_age_seconds" <= 2592000)`)
export class Partner {
  @PrimaryColumn({ type: 'varchar', length: 63 })
  id: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 20 })
  kind: PartnerKind;

  @Column({ type: 'varchar', length: 20, default: PartnerStatus.ACTIVE })
  status: PartnerStatus;

  @Column({ name: 'trust_weight', type: 'numeric', precision: 4, scale: 3, transformer: numericTransformer })
  trustWeight: number;

  /** The https issuer URL a standard SSF transmitter puts in `iss`; a SET with that `iss` is this partner's. */
  @Column({ name: 'ssf_issuer', type: 'varchar', length: 512, nullable: true })
  ssfIssuer: string | null;

  /** Oldest acceptable `iat` of its SETs, in seconds; null: the profile's 7 days. */
  @Column({ name: 'max_iat_age_seconds', type: 'integer', nullable: true })
  maxIatAgeSeconds: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @OneToMany('PartnerKey', 'partner')
  keys?: PartnerKey[];
}
