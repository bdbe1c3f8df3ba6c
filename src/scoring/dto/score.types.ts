import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { PageInfo } from '../../common/pagination';

@ObjectType('ScoreContribution', { description: 'One signal you may see, and what it adds.' })
export class ScoreContributionType {
  @Field(() => ID, { description: 'The signal.' })
  eventId: string;

  @Field({ description: 'Its issuer.' })
  issuer: string;

  @Field({ description: 'Its category.' })
  category: string;

  @Field(() => [String], { nullable: true, description: 'Reason codes; null when withheld (masked as in sharing).' })
  reasonCodes: string[] | null;

  @Field(() => Float, { description: 'e = score × confidence × trustWeight × 0.5^(age/halfLife).' })
  strength: number;

  @Field({ description: 'observed_at, or iat when absent.' })
  observedAt: Date;
}

@ObjectType('WithheldContributions', { description: 'Signals that count but that you may not see: no issuer, no category.' })
export class WithheldType {
  @Field(() => Int, { description: 'How many.' })
  count: number;

  @Field(() => Float, { description: '1 − Π(1 − e) over them.' })
  combinedStrength: number;
}

@ObjectType('RiskScore', { description: 'The merged, explainable risk score of an account and the response it calls for.' })
export class RiskScoreType {
  @Field({ description: 'The subject (sub_id.id).' })
  subject: string;

  @Field(() => Float, { description: 'S = 1 − Π_i (1 − E_i), in [0, 1].' })
  score: number;

  @Field({ description: 'NONE, MONITOR, WARN, RESTRICT or FREEZE, after the ladder.' })
  tier: string;

  @Field({ description: 'What to do, in words.' })
  recommendedAction: string;

  @Field(() => [String], { description: 'Why this tier, step by step.' })
  rationale: string[];

  @Field({ description: 'No earlier episode within 365 days.' })
  firstTime: boolean;

  @Field(() => Int, { description: 'Episodes so far (WARN or above, until 7 days below MONITOR).' })
  episodeCount: number;

  @Field(() => Int, { description: 'Issuers you may see whose combined strength E_i over the signals you may see is at least 0.3 (withheld signals count in the tier, not here).' })
  corroboratingPartners: number;

  // `contributions` and `activeFlags` are paged fields resolved by ScoringResolver, only when asked for.

  @Field(() => WithheldType, { description: 'The signals that count but that you may not see.' })
  withheld: WithheldType;

  @Field({ description: 'When this was computed.' })
  computedAt: Date;

  @Field({ description: 'The instant the score is for (now, unless asOf was given).' })
  asOf: Date;
}

@ObjectType('ScoreChange', { description: 'A change of a subject\'s tier.' })
export class ScoreChangeType {
  @Field({ description: 'When.' })
  at: Date;

  @Field({ description: 'The tier before.' })
  previousTier: string;

  @Field({ description: 'The tier after.' })
  tier: string;

  @Field(() => Float, { description: 'The score then.' })
  score: number;

  @Field(() => [ID], { description: 'The events that caused it and that you may see (as in `event(id)`).' })
  causedBy: string[];

  @Field(() => Int, { description: 'The events that caused it that you may not see, or that retention has purged: counted, not named.' })
  withheldCauses: number;
}

@ObjectType({ description: 'A page of tier changes, newest first.' })
export class ScoreChangeConnection {
  @Field(() => [ScoreChangeEdge], { description: 'The changes.' })
  edges: ScoreChangeEdge[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo: PageInfo;
}

@ObjectType({ description: 'One tier change in a page.' })
export class ScoreChangeEdge {
  @Field({ description: 'Opaque cursor.' })
  cursor: string;

  @Field(() => ScoreChangeType, { description: 'The change.' })
  node: ScoreChangeType;
}
