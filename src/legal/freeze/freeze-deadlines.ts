// The end of a freeze at its order's deadline (README "Freeze"). The gateway's flag already expires
// at the deadline, so scores stop counting it on time on every replica whatever this sweep does;
// the sweep tells the receivers (the gateway's `flag-lifted`) and the request's history (RELEASED,
// reason "deadline"), and re-stores the subject's score. Every LEGAL_SWEEP_SECONDS (0: only when
// called), on one replica at a time.
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SYSTEM_ACTOR } from '../../audit/audit.actions';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { LegalRequestsStore } from '../legal-requests.store';
import { FreezeFulfilment } from './freeze.fulfilment';

/** Transaction-scoped advisory lock: one replica sweeps freeze deadlines at a time (the others skip). */
export const FREEZE_SWEEP_LOCK = [0x52580015, 1] as const;
/** Freezes ended per transaction: a backlog is worked off over the next sweeps, never in one long transaction. */
const BATCH = 100;

const DUE = `SELECT id FROM legal_request WHERE kind = 'FREEZE' AND status = 'FULFILLED' AND released_at IS NULL AND deadline <= now()
  ORDER BY deadline, id LIMIT ${BATCH}`;

@Injectable()
export class FreezeDeadlines implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('FreezeDeadlines');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly db: DataSource,
    private readonly store: LegalRequestsStore,
    private readonly freezes: FreezeFulfilment,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (this.config.legal.sweepSeconds === 0) return;
    this.timer = setInterval(() => {
      this.sweep().catch((e: Error) => this.logger.error(`freeze deadline sweep failed: ${e.message}`));
    }, this.config.legal.sweepSeconds * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Lifts every freeze whose deadline has passed (up to one batch); answers the ids of the freezes ended. */
  async sweep(): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const [{ locked }] = (await tx.query('SELECT pg_try_advisory_xact_lock($1, $2) AS locked', [...FREEZE_SWEEP_LOCK])) as Array<{ locked: boolean }>;
      if (!locked) return [];
      const due = (await tx.query(DUE)) as Array<{ id: string }>;
      const ended: string[] = [];
      for (const { id } of due) {
        const freeze = await this.store.lock(tx, id);
        // Released meanwhile (an approved release committed between the read and the lock): nothing to do.
        if (freeze.releasedAt) continue;
        await this.freezes.lift(tx, freeze, { actor: SYSTEM_ACTOR, reason: 'deadline' });
        ended.push(id);
      }
      if (ended.length) this.logger.log(`lifted ${ended.length} legal freeze(s) at their order's deadline`);
      return ended;
    });
  }
}
