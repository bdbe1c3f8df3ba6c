import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * How far the gateway itself has verified the chain: entries 1..seq were hashed and linked, and
 * entry `seq` hashed to `hash`. One row. Checkpoint verification for partners starts from here,
 * so its cost follows what is new, not the length of the log. Not signed: it only decides where
 * a walk starts (see CheckpointVerificationService for what that means for tampering).
 */
@Entity({ name: 'audit_verified_mark' })
@Check('ck_audit_verified_mark_one_row', '"id" = 1')
export class AuditVerifiedMark {
  @PrimaryColumn({ type: 'smallint' })
  id: number;

  @Column({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) } })
  seq: number;

  @Column({ type: 'char', length: 64 })
  hash: string;

  @Column({ name: 'verified_at', type: 'timestamptz' })
  verifiedAt: Date;
}
