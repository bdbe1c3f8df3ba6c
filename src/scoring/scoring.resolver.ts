import { Args, Int, Query, Resolver } from '@nestjs/graphql';
import { DataSource, In } from 'typeorm';
import { AuthenticatedPartner } from '../auth/authenticated-partner';
import { CurrentPartner, Permissions } from '../auth/decorators';
import { Permission } from '../auth/permissions';
import { badInput } from '../common/errors';
import { EventRecord } from '../events/event.entity';
import { toEventType } from '../events/events.query.service';
import { maskEvent } from '../sharing/masking';
import { RiskScoreType, ScoreChangeConnection } from './dto/score.types';
import { Evaluation, ScoringService } from './scoring.service';

const MAX_SUBJECTS = 100;

@Resolver()
export class ScoringResolver {
  constructor(
    private readonly scoring: ScoringService,
    private readonly db: DataSource,
  ) {}

  @Query(() => RiskScoreType, { description: 'The merged risk score of a subject, now or as it stood at `asOf` (for audits and disputes).' })
  @Permissions(Permission.ReadRiskScores)
  async riskScore(@CurrentPartner() caller: AuthenticatedPartner, @Args('subject') subject: string, @Args('asOf', { type: () => Date, nullable: true }) asOf?: Date): Promise<RiskScoreType> {
    const [evaluation] = await this.scoring.read(caller, [subject], asOf ?? null);
    return (await this.present([evaluation], asOf ?? null))[0];
  }

  @Query(() => [RiskScoreType], { description: 'Scores of up to 100 subjects, in the order asked.' })
  @Permissions(Permission.ReadRiskScores)
  async riskScores(@CurrentPartner() caller: AuthenticatedPartner, @Args('subjects', { type: () => [String] }) subjects: string[]): Promise<RiskScoreType[]> {
    if (subjects.length < 1 || subjects.length > MAX_SUBJECTS) throw badInput(`subjects must hold 1..${MAX_SUBJECTS} subjects`);
    return this.present(await this.scoring.read(caller, subjects, null), null);
  }

  @Query(() => ScoreChangeConnection, { description: 'The tier changes of a subject, newest first.' })
  @Permissions(Permission.ReadRiskScores)
  async riskScoreHistory(
    @CurrentPartner() caller: AuthenticatedPartner,
    @Args('subject') subject: string,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ): Promise<ScoreChangeConnection> {
    return this.scoring.history(caller, subject, first, after);
  }

  private async present(evaluations: Evaluation[], asOf: Date | null): Promise<RiskScoreType[]> {
    const flagIds = evaluations.flatMap((e) => e.flags.filter((f) => f.visible).map((f) => f.id));
    const flagRows = flagIds.length ? await this.db.getRepository(EventRecord).find({ where: { id: In(flagIds) } }) : [];
    const computedAt = new Date();
    return evaluations.map((e) => {
      const rows = new Map(e.signals.map((s) => [s.id, s]));
      const seen = e.merged.contributions.filter((c) => rows.get(c.eventId)?.visible);
      const hidden = e.merged.contributions.filter((c) => !rows.get(c.eventId)?.visible);
      const full = new Map(e.flags.map((f) => [f.id, f.fullAccess]));
      return {
        subject: e.subject,
        score: e.merged.score,
        tier: e.decision.tier,
        recommendedAction: e.decision.recommendedAction,
        rationale: e.decision.rationale,
        firstTime: !e.repeat,
        episodeCount: e.episodeCount,
        corroboratingPartners: e.merged.corroboratingPartners,
        contributions: seen.map((c) => ({
          eventId: c.eventId,
          issuer: c.issuer,
          category: c.category,
          reasonCodes: rows.get(c.eventId)!.fullAccess ? rows.get(c.eventId)!.reasonCodes : null,
          strength: c.strength,
          observedAt: new Date(c.observedAt * 1000),
        })),
        withheld: { count: hidden.length, combinedStrength: 1 - hidden.reduce((p, c) => p * (1 - c.strength), 1) },
        activeFlags: flagRows.filter((f) => e.flags.some((x) => x.id === f.id)).map((f) => maskEvent(toEventType(f), full.get(f.id) === true)),
        computedAt,
        asOf: asOf ?? e.at,
      };
    });
  }
}
