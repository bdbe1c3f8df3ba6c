import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { numericTransformer } from '../partners/partner.entity';

/** The stored score and tier of a subject, updated in the transaction of each event that changes it. */
@Entity({ name: 'subject_score' })
export class SubjectScore {
  @PrimaryColumn({ type: 'varchar', length: 256 })
  subject: string;

  @Column({ type: 'numeric', precision: 7, scale: 6, transformer: numericTransformer })
  score: number;

  @Column({ type: 'varchar', length: 16 })
  tier: string;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** Every change of a subject's tier, with the events that caused it (episodes come from here). */
@Entity({ name: 'score_history' })
@Index('ix_score_history_subject', ['subject', 'at'])
export class ScoreHistory {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'varchar', length: 256 })
  subject: string;

  @Column({ type: 'timestamptz' })
  at: Date;

  @Column({ type: 'varchar', length: 16 })
  tier: string;

  @Column({ name: 'previous_tier', type: 'varchar', length: 16 })
  previousTier: string;

  @Column({ type: 'numeric', precision: 7, scale: 6, transformer: numericTransformer })
  score: number;

  /** Ids of the events whose arrival, retraction or lift changed the tier. */
  @Column({ name: 'caused_by', type: 'uuid', array: true })
  causedBy: string[];
}
