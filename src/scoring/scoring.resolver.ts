import { Args, ID, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { AuthenticatedPartner } from '../auth/authenticated-partner';
import { CurrentPartner, Permissions } from '../auth/decorators';
import { Permission } from '../auth/permissions';
import { badInput } from '../common/errors';
import { pageSize } from '../common/pagination';
import { EventType } from '../events/dto/event.types';
import { Viewer } from '../sharing/visibility';
import { RiskScoreType, ScoreChangeConnection, ScoreContributionType } from './dto/score.types';
import { Evaluation, ScoringService } from './scoring.service';

const MAX_SUBJECTS = 100;
const FIRST = { type: () => Int, nullable: true, description: 'Page size, 1..100 (default 20).' } as const;

/** A presented score and what its paged fields need; one object per distinct subject of a request. */
interface PresentedScore extends RiskScoreType {
  viewer: Viewer;
  historical: boolean;
  visibleContributions: ScoreContributionType[];
  /** Pages of activeFlags already asked for, so repeated subjects and aliases share one query. */
  flagPages: Map<string, Promise<EventType[]>>;
}

@Resolver(() => RiskScoreType)
export class ScoringResolver {
  constructor(private readonly scoring: ScoringService) {}

  @Query(() => RiskScoreType, { description: 'The merged risk score of a subject, now or as it stood at `asOf` (for audits and disputes).' })
  @Permissions(Permission.ReadRiskScores)
  async riskScore(@CurrentPartner() caller: AuthenticatedPartner, @Args('subject') subject: string, @Args('asOf', { type: () => Date, nullable: true }) asOf?: Date): Promise<RiskScoreType> {
    const [evaluation] = await this.scoring.read(caller, [subject], asOf ?? null);
    return this.present(caller, [evaluation], asOf ?? null)[0];
  }

  @Query(() => [RiskScoreType], { description: 'Scores of up to 100 subjects, in the order asked (a repeated subject is evaluated once).' })
  @Permissions(Permission.ReadRiskScores)
  async riskScores(@CurrentPartner() caller: AuthenticatedPartner, @Args('subjects', { type: () => [String] }) subjects: string[]): Promise<RiskScoreType[]> {
    if (subjects.length < 1 || subjects.length > MAX_SUBJECTS) throw badInput(`subjects must hold 1..${MAX_SUBJECTS} subjects`);
    return this.present(caller, await this.scoring.read(caller, subjects, null), null);
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

  @ResolveField('contributions', () => [ScoreContributionType], { description: 'The signals you may see that count, strongest first: a page of at most `first`.' })
  contributions(
    @Parent() score: PresentedScore,
    @Args('first', FIRST) first?: number,
    @Args('after', { type: () => ID, nullable: true, description: 'The eventId of the last contribution of the previous page.' }) after?: string,
  ): ScoreContributionType[] {
    const size = pageSize(first);
    const all = score.visibleContributions;
    let start = 0;
    if (after !== undefined && after !== null) {
      start = all.findIndex((c) => c.eventId === after) + 1;
      if (start === 0) throw badInput('after must be the eventId of the last contribution of a previous page of this list');
    }
    return all.slice(start, start + size);
  }

  @ResolveField('activeFlags', () => [EventType], { description: 'Active account flags you may see, newest first: a page of at most `first`, read only when asked for.' })
  activeFlags(
    @Parent() score: PresentedScore,
    @Args('first', FIRST) first?: number,
    @Args('after', { type: () => ID, nullable: true, description: 'The id of the last flag of the previous page.' }) after?: string,
  ): Promise<EventType[]> {
    const key = `${first ?? ''}|${after ?? ''}`;
    let page = score.flagPages.get(key);
    if (!page) score.flagPages.set(key, (page = this.scoring.activeFlags(score.viewer, score.subject, score.asOf, score.historical, first, after)));
    return page;
  }

  /** Presents each distinct subject once; repeated subjects share one presented object. */
  private present(viewer: Viewer, evaluations: Evaluation[], asOf: Date | null): PresentedScore[] {
    const computedAt = new Date();
    const presented = new Map<Evaluation, PresentedScore>();
    return evaluations.map((e) => {
      let out = presented.get(e);
      if (!out) {
        const rows = new Map(e.signals.map((s) => [s.id, s]));
        out = {
          subject: e.subject,
          score: e.merged.score,
          tier: e.decision.tier,
          recommendedAction: e.decision.recommendedAction,
          rationale: e.decision.rationale,
          firstTime: !e.repeat,
          episodeCount: e.episodeCount,
          corroboratingPartners: e.corroboratingSeen,
          withheld: { count: e.hidden.length, combinedStrength: 1 - e.hidden.reduce((p, c) => p * (1 - c.strength), 1) },
          computedAt,
          asOf: asOf ?? e.at,
          viewer: { id: viewer.id, kind: viewer.kind },
          historical: asOf !== null,
          visibleContributions: e.seen.map((c) => ({
            eventId: c.eventId,
            issuer: c.issuer,
            category: c.category,
            reasonCodes: rows.get(c.eventId)!.fullAccess ? rows.get(c.eventId)!.reasonCodes : null,
            strength: c.strength,
            observedAt: new Date(c.observedAt * 1000),
          })),
          flagPages: new Map(),
        };
        presented.set(e, out);
      }
      return out;
    });
  }
}
