import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

const bigintAsNumber = {
  to: (v: number) => v,
  from: (v: string | number) => Number(v),
};

/**
 * One audit entry. Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE. `seq` is gapless
 * because it is assigned under a transaction-scoped advisory lock (see AuditService.append).
 */
@Entity({ name: 'audit_log' })
@Index('ix_audit_log_actor', ['actor', 'seq'])
@Index('ix_audit_log_action', ['action', 'seq'])
@Index('ix_audit_log_target', ['target', 'seq'])
@Index('ix_audit_log_at', ['at'])
export class AuditEntry {
  @PrimaryColumn({ type: 'bigint', transformer: bigintAsNumber })
  seq: number;

  @Column({ type: 'timestamptz' })
  at: Date;

  /** A partner id, or `system`. */
  @Column({ type: 'varchar', length: 63 })
  actor: string;

  @Column({ type: 'varchar', length: 64 })
  action: string;

  @Column({ type: 'varchar', length: 256, nullable: true })
  target: string | null;

  @Column({ type: 'jsonb' })
  details: Record<string, unknown>;

  /** Partners whose data the entry concerns: they see it in their access-transparency trail. Not hashed: derived from the action. */
  @Index('ix_audit_log_concerns', { synchronize: false }) // GIN, created by hand in the migration
  @Column({ type: 'varchar', length: 63, array: true, default: () => "'{}'" })
  concerns: string[];

  @Column({ name: 'prev_hash', type: 'char', length: 64 })
  prevHash: string;

  @Column({ type: 'char', length: 64 })
  hash: string;
}
