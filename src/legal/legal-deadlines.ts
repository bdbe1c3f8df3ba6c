// Deadlines of legal requests: a sweep every LEGAL_SWEEP_SECONDS marks undecided requests past their
// deadline (OVERDUE, once), expires approved disclosures whose window closed unused, and notes the
// end of access of fulfilled ones (ACCESS_ENDED, once). Access itself never waits for the sweep: it
// is decided in SQL against now() and access_until, so it ends on time on every replica. One replica
// sweeps at a time (a transaction-scoped advisory lock); the others skip that round.
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { DataSource, EntityManager } from 'typeorm';
import { AuditAction, SYSTEM_ACTOR } from '../audit/audit.actions';
import { APP_CONFIG, AppConfig } from '../config/config';
import { MetricsService } from '../observability/metrics';
import { OVERDUE_SQL } from './legal-queries';
import { LegalAction, LegalRequest } from './legal-request.entity';
import { LegalRequestsStore } from './legal-requests.store';
import { LegalStatus } from './legal-workflow';

/** Advisory lock id of the sweep ("RXLS"). */
export const SWEEP_LOCK = 0x52584c53;

export interface SweepResult {
  /** Whether this call held the lock (false: another replica was sweeping). */
  swept: boolean;
  overdue: string[];
  expired: string[];
  accessEnded: string[];
}

/** Another part of legal (for example a freeze that ends at its order's deadline) can run in the same sweep. */
export type SweepStep = (tx: EntityManager) => Promise<void>;

@Injectable()
export class LegalDeadlines implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('LegalDeadlines');
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> | null = null;
  private readonly steps: Array<{ name: string; run: SweepStep }> = [];

  constructor(
    private readonly db: DataSource,
    private readonly store: LegalRequestsStore,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const count = () => this.overdueCount();
    // Computed at scrape time from the database (an index range on status), so every replica reports the same number.
    new Gauge({
      name: 'rx_legal_overdue_requests',
      help: 'Legal requests still undecided (SUBMITTED or UNDER_REVIEW) after their deadline.',
      registers: [this.metrics.registry],
      async collect() {
        this.set(await count());
      },
    });
    const seconds = this.config.legal.sweepSeconds;
    if (seconds === 0) return;
    this.timer = setInterval(() => {
      if (this.running) return; // a slow round is not stacked on
      this.running = this.sweep()
        .catch((e: Error) => this.logger.error(`legal deadline sweep failed: ${e.message}`))
        .finally(() => (this.running = null));
    }, seconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Adds a step run in every sweep, inside its transaction and lock. */
  addStep(name: string, run: SweepStep): void {
    this.steps.push({ name, run });
  }

  async overdueCount(): Promise<number> {
    const [{ n }] = (await this.db.query(`SELECT count(*)::int AS n FROM legal_request r WHERE ${OVERDUE_SQL}`)) as Array<{ n: number }>;
    return Number(n);
  }

  /** One round (the timer calls it; tests call it directly). Each request is locked and re-checked before it changes. */
  sweep(): Promise<SweepResult> {
    return this.db.transaction(async (tx) => {
      const [{ locked }] = (await tx.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [SWEEP_LOCK])) as Array<{ locked: boolean }>;
      const result: SweepResult = { swept: locked, overdue: [], expired: [], accessEnded: [] };
      if (!locked) return result;
      for (const id of await this.ids(tx, `${OVERDUE_SQL} AND r.overdue_at IS NULL`)) {
        const r = await this.store.lock(tx, id);
        if (r.overdueAt || ![LegalStatus.SUBMITTED, LegalStatus.UNDER_REVIEW].includes(r.status)) continue;
        const now = new Date();
        await tx.getRepository(LegalRequest).update({ id }, { overdueAt: now });
        r.overdueAt = now;
        await this.store.note(tx, r, { actor: SYSTEM_ACTOR, action: LegalAction.OVERDUE, details: { deadline: r.deadline?.toISOString() } }, AuditAction.LegalDeadline);
        result.overdue.push(id);
      }
      for (const id of await this.ids(tx, `r.kind = 'DISCLOSURE' AND r.status = 'APPROVED' AND r.access_until <= now()`)) {
        const r = await this.store.lock(tx, id);
        if (r.status !== LegalStatus.APPROVED) continue;
        await this.store.changeStatus(tx, r, {
          to: LegalStatus.EXPIRED, operation: 'expire', actor: SYSTEM_ACTOR, action: LegalAction.EXPIRED, audit: AuditAction.LegalDeadline,
          reason: 'the access window closed before a disclosure package was issued', details: { access_until: r.accessUntil?.toISOString() },
        });
        result.expired.push(id);
      }
      const ended = `r.kind = 'DISCLOSURE' AND r.status = 'FULFILLED' AND r.access_until <= now()
        AND NOT EXISTS (SELECT 1 FROM legal_request_history h WHERE h.request_id = r.id AND h.action = 'ACCESS_ENDED')`;
      for (const id of await this.ids(tx, ended)) {
        const r = await this.store.lock(tx, id);
        await this.store.note(tx, r, { actor: SYSTEM_ACTOR, action: LegalAction.ACCESS_ENDED, details: { access_until: r.accessUntil?.toISOString() } }, AuditAction.LegalDeadline);
        result.accessEnded.push(id);
      }
      for (const step of this.steps) await step.run(tx);
      return result;
    });
  }

  private async ids(tx: EntityManager, where: string): Promise<string[]> {
    // Bounded per round: a backlog is worked off over the next rounds, never in one long transaction.
    const rows = (await tx.query(`SELECT r.id FROM legal_request r WHERE ${where} ORDER BY r.submitted_at, r.id LIMIT 500`)) as Array<{ id: string }>;
    return rows.map((r) => r.id);
  }
}
