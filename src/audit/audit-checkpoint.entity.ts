import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A gateway-signed statement "the chain up to `seq` hashes to `hash`" (compact JWS in `jws`). */
@Entity({ name: 'audit_checkpoint' })
export class AuditCheckpoint {
  @PrimaryColumn({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) } })
  seq: number;

  @Column({ type: 'char', length: 64 })
  hash: string;

  @Column({ type: 'timestamptz' })
  at: Date;

  @Column({ type: 'text' })
  jws: string;
}
