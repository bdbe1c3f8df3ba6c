import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuditAction } from '../audit/audit.actions';
import { AuditService } from '../audit/audit.service';
import { badInput } from '../common/errors';
import { preparedQuery } from '../database/prepared';
import { GroupRunner } from '../common/group-runner';
import { APP_CONFIG, AppConfig } from '../config/config';
import { SUBJECT_ID, SUBJECT_ID_RULE } from '../events/set-profile';
import { fullAccess, Viewer, viewerParams, visibleEvent } from '../sharing/visibility';
import { maskEvent } from '../sharing/masking';
import { EventRecord, StoredEventType } from '../events/event.entity';
import { EventsStoredHook, HOOK_ORDER, StoredEvent } from '../events/events-stored.hook';
import { GATEWAY_ISSUER_ID } from '../events/gateway-issuer';
import { ScoreChangesHook } from './score-changes.hook';
import { toEventType } from '../events/events.query.service';
import { EventType } from '../events/dto/event.types';
import { decodeTimeCursor, encodeTimeCursor, pageOf, pageSize } from '../common/pagination';
import { ScoreChangeConnection } from './dto/score.types';
import { episodesOf, isRepeat } from './episodes';
import { decodeEvaluation, EvaluatedSignal, EvaluationAnswer, evaluationSql } from './evaluation-query';
import { Contribution, corroboratingOf, ladder, LadderResult, mergeSignals, ScoreResult } from './score-model';
import { ScoreHistory } from './score.entities';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const NOBODY: Viewer = { id: '', kind: 'OPERATOR' as Viewer['kind'] };

/** Transaction-scoped locks on subjects ($1, sorted), in one order for every writer (no deadlock). */
export const SUBJECT_LOCK_CLASS = 0x52580010;
const LOCK_SUBJECTS = `SELECT count(pg_advisory_xact_lock(${SUBJECT_LOCK_CLASS}, k)) FROM (SELECT DISTINCT hashtext(s) AS k FROM unnest($1::varchar[]) s ORDER BY 1) l`;

/** Stores scores ($1: JSON rows) and answers the tiers they replace (all CTEs read one snapshot). */
const UPSERT_SCORES = `WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(subject varchar, score numeric, tier varchar, updated_at timestamptz)),
  previous AS (SELECT s.subject, s.tier FROM subject_score s JOIN r USING (subject)),
  upsert AS (INSERT INTO subject_score (subject, score, tier, updated_at) SELECT subject, score, tier, updated_at FROM r
    ON CONFLICT (subject) DO UPDATE SET score = EXCLUDED.score, tier = EXCLUDED.tier, updated_at = EXCLUDED.updated_at)
  SELECT subject, tier FROM previous`;

const STATEMENTS = {
  viewerNow: { name: 'rx_evaluate_viewer_now', text: evaluationSql(true, false) },
  viewerAsOf: { name: 'rx_evaluate_viewer_as_of', text: evaluationSql(true, true) },
  onWrite: { name: 'rx_evaluate_on_write', text: evaluationSql(false, false) },
};

export interface Evaluation {
  subject: string;
  at: Date;
  merged: ScoreResult;
  decision: LadderResult;
  repeat: boolean;
  episodeCount: number;
  signals: EvaluatedSignal[];
  /** The contributions the viewer may see, strongest first, and those it may not (counted, never described). */
  seen: Contribution[];
  hidden: Contribution[];
  /** Corroborating partners among what the viewer may see. */
  corroboratingSeen: number;
}

/** Scores: computed from the events as they stood at an instant, stored and historised on write. */
@Injectable()
export class ScoringService implements OnModuleInit {
  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly eventsStored: EventsStoredHook,
    private readonly scoreChanges: ScoreChangesHook,
  ) {}

  onModuleInit(): void {
    this.eventsStored.register('scoring', HOOK_ORDER.scoring, (tx, events) => this.onEventsStored(tx, events));
  }

  /** Update on write: the touched subjects' stored score and tier, in the publishing transaction. */
  private async onEventsStored(tx: EntityManager, events: StoredEvent[]): Promise<void> {
    const causes = new Map<string, string[]>();
    for (const e of events) if (e.type !== StoredEventType.LEGAL_REQUEST) causes.set(e.subject, [...(causes.get(e.subject) ?? []), e.id]);
    const changes = await this.updateStored(tx, causes);
    await this.scoreChanges.run(tx, changes);
  }

  /**
   * Evaluates several subjects at `at` with one query, whatever their number: the events as they
   * stand now, or with `asOf` as they stood at `at` (see evaluationSql). Without a viewer (update
   * on write) nothing is visible and the visibility sub-queries are left out.
   */
  async evaluate(m: EntityManager, subjects: string[], at: Date, viewer: Viewer = NOBODY, asOf = false): Promise<Map<string, Evaluation>> {
    const { viewerId, viewerShares } = viewerParams(viewer);
    const statement = viewer === NOBODY ? STATEMENTS.onWrite : asOf ? STATEMENTS.viewerAsOf : STATEMENTS.viewerNow;
    const params = viewer === NOBODY ? [subjects, at] : [subjects, at, viewerId, viewerShares];
    const [answer] = await preparedQuery<EvaluationAnswer>(m, statement.name, statement.text, params);
    const bySubject = decodeEvaluation(answer, subjects);
    const now = at.getTime() / 1000;
    const out = new Map<string, Evaluation>();
    for (const [subject, { signals, bankFreeze, legalFreeze, history }] of bySubject) {
      const merged = mergeSignals(
        signals.map((s) => ({ eventId: s.id, issuer: s.issuer, category: s.category, score: s.score, confidence: s.confidence, trustWeight: s.trustWeight, observedAt: s.observed, issuedAt: s.issued })),
        now,
      );
      const episodes = episodesOf(history, now, this.config.episodeCooldownDays);
      const repeat = isRepeat(episodes, now);
      const visible = new Set(signals.filter((s) => s.visible).map((s) => s.id));
      const seen = merged.contributions.filter((c) => visible.has(c.eventId));
      const hidden = merged.contributions.filter((c) => !visible.has(c.eventId));
      const corroboratingSeen = corroboratingOf(seen);
      const decision = ladder({
        score: merged.score,
        corroboratingPartners: merged.corroboratingPartners,
        repeat,
        bankFreezeOrClose: bankFreeze.visible || bankFreeze.hidden,
        legalFreeze, // the gateway's freeze flag of an approved legal freeze (README "Freeze")
        seen: { bankFreezeOrClose: bankFreeze.visible, corroboratingPartners: corroboratingSeen },
      });
      out.set(subject, { subject, at, merged, decision, repeat, episodeCount: episodes.length, signals, seen, hidden, corroboratingSeen });
    }
    return out;
  }

  /**
   * Update on write: recompute the subjects an event touched; store the score and tier, and
   * historise tier changes. Concurrent writers on one subject are serialised by a per-subject
   * lock taken before the evaluation, so each evaluation sees every event committed before it
   * (without it, two publishers on one subject each stored a score missing the other's events).
   */
  async updateStored(tx: EntityManager, causes: Map<string, string[]>): Promise<ScoreHistory[]> {
    if (!causes.size) return [];
    const subjects = [...causes.keys()].sort();
    await preparedQuery(tx, 'rx_lock_subjects', LOCK_SUBJECTS, [subjects]);
    const now = new Date(); // after the locks: the evaluation's snapshot includes the writers before us
    const evaluations = await this.evaluate(tx, subjects, now);
    const rows = subjects.map((s) => ({ subject: s, score: Math.round(evaluations.get(s)!.merged.score * 1e6) / 1e6, tier: evaluations.get(s)!.decision.tier, updated_at: now }));
    const stored = await preparedQuery<{ subject: string; tier: string }>(tx, 'rx_upsert_scores', UPSERT_SCORES, [JSON.stringify(rows)]);
    const previous = new Map(stored.map((s) => [s.subject, s.tier]));
    const changes: ScoreHistory[] = rows
      .filter((r) => (previous.get(r.subject) ?? 'NONE') !== r.tier)
      .map((r) => ({ id: randomUUID(), subject: r.subject, at: now, tier: r.tier, previousTier: previous.get(r.subject) ?? 'NONE', score: r.score, causedBy: causes.get(r.subject) ?? [] }));
    if (changes.length) await tx.getRepository(ScoreHistory).insert(changes);
    return changes;
  }

  /** A viewer's read of subjects' scores, audited as a read of the contributing issuers' data. */
  async read(viewer: Viewer, subjects: string[], asOf?: Date | null): Promise<Evaluation[]> {
    for (const s of subjects) if (!SUBJECT_ID.test(s)) throw badInput(`subject "${s.slice(0, 40)}" must be ${SUBJECT_ID_RULE}`);
    if (asOf && (Number.isNaN(asOf.getTime()) || asOf.getTime() > Date.now() + 1000)) throw badInput('asOf must be a past instant');
    const unique = [...new Set(subjects)];
    const evaluations = asOf ? await this.evaluate(this.db.manager, unique, asOf, viewer, true) : await this.current(viewer).submit(unique);
    const items: Record<string, string[]> = {};
    for (const s of unique) for (const sig of evaluations.get(s)!.signals) if (sig.issuer !== viewer.id) (items[sig.issuer] ??= []).push(sig.id);
    if (Object.keys(items).length) {
      await this.audit.record({ actor: viewer.id, action: AuditAction.ScoresRead, details: { items, subjects: subjects.length, asOf: asOf ? asOf.toISOString() : null }, concerns: Object.keys(items) });
    }
    return subjects.map((s) => evaluations.get(s)!);
  }

  /**
   * A subject's tier changes, newest first. `causedBy` names only the events the viewer may see
   * (the one visibility policy); the others are counted in `withheldCauses`. Audited, like a score
   * read, as a read of the named events' issuers.
   */
  async history(viewer: Viewer, subject: string, first?: number | null, after?: string | null): Promise<ScoreChangeConnection> {
    if (!SUBJECT_ID.test(subject)) throw badInput(`subject must be ${SUBJECT_ID_RULE}`);
    const size = pageSize(first);
    const cursor = decodeTimeCursor(after);
    const qb = this.db.getRepository(ScoreHistory).createQueryBuilder('h').where('h.subject = :subject', { subject }).orderBy('h.at', 'DESC').addOrderBy('h.id', 'DESC').take(size + 1);
    if (cursor) qb.andWhere('(h.at, h.id) < (:at, :id)', { at: cursor.at, id: cursor.id });
    const rows = await qb.getMany();
    const causes = [...new Set(rows.slice(0, size).flatMap((h) => h.causedBy))];
    const { viewerId, viewerShares } = viewerParams(viewer);
    const visible: Array<{ id: string; issuer: string }> = causes.length
      ? await this.db.query(`SELECT e.id, e.issuer FROM event e WHERE e.id = ANY($1::uuid[]) AND ${visibleEvent('e', { viewerId: '$2::varchar', viewerShares: '$3::boolean' })}`, [causes, viewerId, viewerShares])
      : [];
    const seen = new Set(visible.map((v) => v.id));
    const items: Record<string, string[]> = {};
    for (const v of visible) if (v.issuer !== viewer.id) (items[v.issuer] ??= []).push(v.id);
    if (Object.keys(items).length) {
      await this.audit.record({ actor: viewer.id, action: AuditAction.ScoresRead, details: { items, subjects: 1, history: true }, concerns: Object.keys(items) });
    }
    return pageOf(rows, size, (h) => encodeTimeCursor(h.at, h.id), (h) => {
      const causedBy = h.causedBy.filter((id) => seen.has(id));
      return { at: h.at, previousTier: h.previousTier, tier: h.tier, score: h.score, causedBy, withheldCauses: h.causedBy.length - causedBy.length };
    });
  }

  /**
   * A page of the subject's active account flags that the viewer may see, newest first, masked as
   * in sharing: the same standing as the score at `at` (as of a past instant when `historical`).
   * `after` is the id of the last flag of the previous page, looked up among the flags of this
   * subject the viewer may see, so an id it may not see reads like one that does not exist.
   */
  async activeFlags(viewer: Viewer, subject: string, at: Date, historical: boolean, first?: number | null, after?: string | null): Promise<EventType[]> {
    const size = pageSize(first);
    const params = { ...viewerParams(viewer), subject, at };
    const flag = (alias: string) => `${alias}.subject = :subject AND ${alias}.type = 'ACCOUNT_FLAG' AND ${visibleEvent(alias)}`;
    if (after !== undefined && after !== null) {
      const found = UUID.test(after) && (await this.db.createQueryBuilder().select('c.id').from(EventRecord, 'c').where(`c.id = :after AND ${flag('c')}`).setParameters({ ...params, after }).getRawOne());
      if (!found) throw badInput('after must be the id of the last flag of a previous page of this list');
    }
    const qb = this.db
      .getRepository(EventRecord)
      .createQueryBuilder('e')
      .addSelect(fullAccess('e'), 'full_access')
      .where(flag('e'))
      .andWhere('coalesce(e.effective_at, e.issued_at) <= :at')
      .andWhere(historical ? `(e.status = 'ACTIVE' OR e.status_changed_at > :at) AND e.received_at <= :at` : `e.status = 'ACTIVE'`)
      .andWhere('(e.expires_at IS NULL OR e.expires_at > :at)')
      // The gateway's own flags (a legal freeze, issuer @gateway) count like an ACTIVE partner's.
      .andWhere(`(e.issuer = '${GATEWAY_ISSUER_ID}' OR EXISTS (SELECT 1 FROM partner p WHERE p.id = e.issuer AND p.status = 'ACTIVE'))`)
      .setParameters(params)
      .orderBy('e.received_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .take(size);
    // Compared in SQL: received_at has microseconds, which a JavaScript Date would drop.
    if (after) qb.andWhere('(e.received_at, e.id) < (SELECT c.received_at, c.id FROM event c WHERE c.id = :after)', { after });
    const { entities, raw } = await qb.getRawAndEntities<{ full_access: boolean }>();
    return entities.map((e, i) => maskEvent(toEventType(e), raw[i].full_access === true));
  }

  /**
   * Current scores for one viewer, evaluated in groups: the reads that arrive while a group's
   * query is in flight share the next query (and its `at`), so concurrent reads cost one round
   * trip per group rather than one each.
   */
  private current(viewer: Viewer): GroupRunner<string[], Map<string, Evaluation>> {
    const key = `${viewer.kind}:${viewer.id}`;
    let runner = this.runners.get(key);
    if (!runner) {
      runner = new GroupRunner(
        async (lists) => {
          const all = await this.evaluate(this.db.manager, [...new Set(lists.flat())], new Date(), { id: viewer.id, kind: viewer.kind });
          return lists.map((list) => new Map(list.map((s) => [s, all.get(s)!])));
        },
        1,
        32,
      );
      this.runners.set(key, runner);
    }
    return runner;
  }

  private readonly runners = new Map<string, GroupRunner<string[], Map<string, Evaluation>>>();

}
