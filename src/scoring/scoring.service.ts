import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuditAction } from '../audit/audit.actions';
import { AuditService } from '../audit/audit.service';
import { badInput } from '../common/errors';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ContributionService } from '../sharing/contribution.service';
import { fullAccess, Viewer, viewerParams, visibleEvent } from '../sharing/visibility';
import { episodesOf, isRepeat } from './episodes';
import { ladder, LadderResult, mergeSignals, ScoreResult, Tier } from './score-model';
import { ScoreHistory, SubjectScore } from './score.entities';

const SUBJECT = /^[A-Za-z0-9._~:+/=-]{8,256}$/;
const NOBODY: Viewer = { id: '', kind: 'OPERATOR' as Viewer['kind'] };

interface SignalRow { id: string; issuer: string; category: string; score: string | number; confidence: string | number; trust_weight: string | number | null; observed: string | number; issued: string | number; reason_codes: string[] | null; visible: boolean; full_access: boolean; subject: string }
interface FlagRow { id: string; issuer: string; action: string; issuer_kind: string | null; visible: boolean; full_access: boolean; subject: string }

export type { SignalRow, FlagRow };

export interface Evaluation {
  subject: string;
  at: Date;
  merged: ScoreResult;
  decision: LadderResult;
  repeat: boolean;
  episodeCount: number;
  signals: SignalRow[];
  flags: FlagRow[];
}

/** Scores: computed from the events as they stood at an instant, stored and historised on write. */
@Injectable()
export class ScoringService {
  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
    private readonly contribution: ContributionService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Evaluates several subjects at `at` with five queries in all, whatever their number. */
  async evaluate(m: EntityManager, subjects: string[], at: Date, viewer: Viewer = NOBODY): Promise<Map<string, Evaluation>> {
    const params = { subjects, at, ...viewerParams(viewer) };
    const live = `(e.status = 'ACTIVE' OR e.status_changed_at > :at) AND (e.expires_at IS NULL OR e.expires_at > :at) AND e.received_at <= :at`;
    const signals = (await m
      .createQueryBuilder()
      .select(['e.id AS id', 'e.subject AS subject', 'e.issuer AS issuer', 'e.category AS category', 'e.score AS score', 'e.confidence AS confidence', 'e.reason_codes AS reason_codes'])
      // A scalar sub-query, not a join: a join let the planner walk the issuer's whole history
      // instead of the subject index. Null means the issuer is not ACTIVE (its signals do not count).
      .addSelect(`(SELECT p.trust_weight FROM partner p WHERE p.id = e.issuer AND p.status = 'ACTIVE')`, 'trust_weight')
      .addSelect('extract(epoch FROM coalesce(e.observed_at, e.issued_at))', 'observed')
      .addSelect('extract(epoch FROM e.issued_at)', 'issued')
      .addSelect(visibleEvent('e'), 'visible')
      .addSelect(fullAccess('e'), 'full_access')
      .from('event', 'e')
      .where(`e.subject = ANY(:subjects) AND e.type = 'RISK_SIGNAL' AND ${live}`)
      .setParameters(params)
      .getRawMany()).filter((s: SignalRow) => s.trust_weight !== null) as SignalRow[];
    const flags = (await m
      .createQueryBuilder()
      .select(['e.id AS id', 'e.subject AS subject', 'e.issuer AS issuer', 'e.action AS action'])
      .addSelect(`(SELECT p.kind FROM partner p WHERE p.id = e.issuer AND p.status = 'ACTIVE')`, 'issuer_kind')
      .addSelect(visibleEvent('e'), 'visible')
      .addSelect(fullAccess('e'), 'full_access')
      .from('event', 'e')
      .where(`e.subject = ANY(:subjects) AND e.type = 'ACCOUNT_FLAG' AND coalesce(e.effective_at, e.issued_at) <= :at AND ${live}`)
      .setParameters(params)
      .getRawMany()).filter((f: FlagRow) => f.issuer_kind !== null) as FlagRow[];
    const history = (await m.query(`SELECT subject, extract(epoch FROM at) AS at, tier FROM score_history WHERE subject = ANY($1) AND at <= $2 ORDER BY at`, [subjects, at])) as Array<{ subject: string; at: string | number; tier: Tier }>;
    const now = at.getTime() / 1000;
    const out = new Map<string, Evaluation>();
    for (const subject of subjects) {
      const mine = signals.filter((s) => s.subject === subject);
      const merged = mergeSignals(
        mine.map((s) => ({ eventId: s.id, issuer: s.issuer, category: s.category, score: Number(s.score), confidence: Number(s.confidence ?? 1), trustWeight: Number(s.trust_weight), observedAt: Number(s.observed), issuedAt: Number(s.issued) })),
        now,
      );
      const myFlags = flags.filter((f) => f.subject === subject);
      const episodes = episodesOf(history.filter((h) => h.subject === subject).map((h) => ({ at: Number(h.at), tier: h.tier })), now, this.config.episodeCooldownDays);
      const repeat = isRepeat(episodes, now);
      const decision = ladder({
        score: merged.score,
        corroboratingPartners: merged.corroboratingPartners,
        repeat,
        bankFreezeOrClose: myFlags.some((f) => f.issuer_kind === 'BANK' && (f.action === 'freeze' || f.action === 'close')),
        legalFreeze: false, // approved legal freezes come with the legal-request workflow
      });
      out.set(subject, { subject, at, merged, decision, repeat, episodeCount: episodes.length, signals: mine, flags: myFlags });
    }
    return out;
  }

  /** Update on write: recompute the subjects an event touched; store the tier and historise changes. */
  async updateStored(tx: EntityManager, causes: Map<string, string[]>): Promise<void> {
    if (!causes.size) return;
    const subjects = [...causes.keys()].sort();
    const now = new Date();
    const evaluations = await this.evaluate(tx, subjects, now);
    const stored = (await tx.query(`SELECT subject, tier FROM subject_score WHERE subject = ANY($1) FOR UPDATE`, [subjects])) as Array<{ subject: string; tier: string }>;
    const previous = new Map(stored.map((s) => [s.subject, s.tier]));
    const rows = subjects.map((s) => ({ subject: s, score: evaluations.get(s)!.merged.score, tier: evaluations.get(s)!.decision.tier, updated_at: now }));
    await tx.query(
      `INSERT INTO subject_score (subject, score, tier, updated_at) SELECT subject, score, tier, updated_at FROM jsonb_to_recordset($1::jsonb) AS r(subject varchar, score numeric, tier varchar, updated_at timestamptz)
       ON CONFLICT (subject) DO UPDATE SET score = EXCLUDED.score, tier = EXCLUDED.tier, updated_at = EXCLUDED.updated_at`,
      [JSON.stringify(rows.map((r) => ({ ...r, score: Math.round(r.score * 1e6) / 1e6 })))],
    );
    const changes: ScoreHistory[] = rows
      .filter((r) => (previous.get(r.subject) ?? 'NONE') !== r.tier)
      .map((r) => ({ id: randomUUID(), subject: r.subject, at: now, tier: r.tier, previousTier: previous.get(r.subject) ?? 'NONE', score: Math.round(r.score * 1e6) / 1e6, causedBy: causes.get(r.subject) ?? [] }));
    if (changes.length) await tx.getRepository(ScoreHistory).insert(changes);
  }

  /** A viewer's read of one subject's score, audited as a read of the contributing issuers' data. */
  async read(viewer: Viewer, subjects: string[], asOf?: Date | null): Promise<Evaluation[]> {
    for (const s of subjects) if (!SUBJECT.test(s)) throw badInput(`subject "${s.slice(0, 40)}" must be 8..256 characters of [A-Za-z0-9._~:+/=-]`);
    const at = asOf ?? new Date();
    if (Number.isNaN(at.getTime()) || at.getTime() > Date.now() + 1000) throw badInput('asOf must be a past instant');
    await this.contribution.assertContributes(viewer);
    const evaluations = await this.evaluate(this.db.manager, [...new Set(subjects)], at, viewer);
    const items: Record<string, string[]> = {};
    for (const e of evaluations.values()) for (const s of e.signals) if (s.issuer !== viewer.id) (items[s.issuer] ??= []).push(s.id);
    if (Object.keys(items).length) {
      await this.audit.record({ actor: viewer.id, action: AuditAction.ScoresRead, details: { items, subjects: subjects.length, asOf: asOf ? at.toISOString() : null }, concerns: Object.keys(items) });
    }
    return subjects.map((s) => evaluations.get(s)!);
  }

  stored(subject: string): Promise<SubjectScore | null> {
    return this.db.getRepository(SubjectScore).findOne({ where: { subject } });
  }
}
