// The end of a freeze at its order's deadline (README "Freeze"). The gateway's flag already expires
// at the deadline, so scores stop counting it on time on every replica whatever this sweep does;
// the sweep tells the receivers (the gateway's `flag-lifted`) and the request's history (RELEASED,
// reason "deadline"), and re-stores the subject's score. It is a step of the one legal deadline
// sweep (LegalDeadlines: its timer, its lock, one replica at a time); `sweep()` runs it alone.
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { SYSTEM_ACTOR } from '../../audit/audit.actions';
import { LegalDeadlines, SWEEP_LOCK } from '../legal-deadlines';
import { LegalRequestsStore } from '../legal-requests.store';
import { FreezeFulfilment } from './freeze.fulfilment';

/** Freezes ended per transaction: a backlog is worked off over the next sweeps, never in one long transaction. */
const BATCH = 100;

const DUE = `SELECT id FROM legal_request WHERE kind = 'FREEZE' AND status = 'FULFILLED' AND released_at IS NULL AND deadline <= now()
  ORDER BY deadline, id LIMIT ${BATCH}`;

@Injectable()
export class FreezeDeadlines implements OnModuleInit {
  private readonly logger = new Logger('FreezeDeadlines');

  constructor(
    private readonly db: DataSource,
    private readonly store: LegalRequestsStore,
    private readonly freezes: FreezeFulfilment,
    private readonly deadlines: LegalDeadlines,
  ) {}

  onModuleInit(): void {
    this.deadlines.addStep('freeze-deadlines', async (tx) => void (await this.liftDue(tx)));
  }

  /** This step alone, under the legal sweep's lock (tests call it); answers the ids of the freezes ended. */
  async sweep(): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const [{ locked }] = (await tx.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [SWEEP_LOCK])) as Array<{ locked: boolean }>;
      return locked ? this.liftDue(tx) : [];
    });
  }

  /** Lifts every freeze whose deadline has passed (up to one batch), in the caller's transaction. */
  private async liftDue(tx: EntityManager): Promise<string[]> {
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
  }
}
