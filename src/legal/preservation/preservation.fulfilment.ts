// PRESERVATION (README "Preservation"): an approved preservation sets the legal hold on every event
// of the subject (retention skips held events), and events stored later about a subject under an
// active preservation are held in their publishing transaction (the `legal-hold` listener). An
// approved RELEASE clears the hold unless another active preservation still covers the subject.
//
// Race between an approval and a concurrent publish about the same subject: both take the
// subject's transaction lock (scoring takes it in the publishing transaction before this listener
// runs), so either the approval's UPDATE runs after the publish committed and sees its events, or
// the listener runs after the approval committed and sees the preservation. (A batch of legal
// requests alone takes no subject lock; they never expire, so retention never purges them anyway.)
import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditAction, SYSTEM_ACTOR } from '../../audit/audit.actions';
import { conflict } from '../../common/errors';
import { EventsStoredHook, StoredEvent } from '../../events/events-stored.hook';
import { SUBJECT_LOCK_CLASS } from '../../scoring/scoring.service';
import { FulfilmentOutcome, LegalFulfilment } from '../legal-fulfilment';
import { LegalAction, LegalRequest } from '../legal-request.entity';
import { LEGAL_HOOK_ORDER, LegalRequestsStore } from '../legal-requests.store';
import { LegalKind, LegalStatus } from '../legal-workflow';

/** Listener order: right after `legal` (which opens requests), before delivery. */
export const LEGAL_HOLD_HOOK_ORDER = LEGAL_HOOK_ORDER + 10;

/** SQL: an active preservation (FULFILLED, not released) covers the subject `subject`. */
const activePreservation = (subject: string) =>
  `EXISTS (SELECT 1 FROM legal_request r WHERE r.subject = ${subject} AND r.kind = 'PRESERVATION' AND r.status = 'FULFILLED' AND r.released_at IS NULL)`;

@Injectable()
export class PreservationFulfilment implements OnModuleInit {
  constructor(
    private readonly fulfilment: LegalFulfilment,
    private readonly store: LegalRequestsStore,
    private readonly eventsStored: EventsStoredHook,
  ) {}

  onModuleInit(): void {
    this.fulfilment.register(LegalKind.PRESERVATION, { approved: (tx, request, _approvers, released) => (request.kind === LegalKind.RELEASE ? this.release(tx, request, released) : this.preserve(tx, request)) });
    this.eventsStored.register('legal-hold', LEGAL_HOLD_HOOK_ORDER, (tx, events) => this.holdNewEvents(tx, events));
  }

  /** Sets the hold on every event of the subject. */
  private async preserve(tx: EntityManager, request: LegalRequest): Promise<FulfilmentOutcome> {
    await lockSubject(tx, request.subject);
    const held = await affected(tx, `UPDATE event SET legal_hold = true WHERE subject = $1 AND NOT legal_hold`, [request.subject]);
    return { fulfilled: true, details: { held_events: held } };
  }

  /** An approved RELEASE of a preservation: the hold ends, unless another active preservation covers the subject. */
  private async release(tx: EntityManager, release: LegalRequest, preservation: LegalRequest | null): Promise<FulfilmentOutcome> {
    if (!preservation || preservation.kind !== LegalKind.PRESERVATION) throw new Error('a preservation release needs the PRESERVATION it releases');
    if (preservation.status !== LegalStatus.FULFILLED || preservation.releasedAt) {
      throw conflict(`cannot release: the preservation ${preservation.id} is ${preservation.releasedAt ? 'already released' : preservation.status}; only a FULFILLED preservation not yet released can be released`);
    }
    await lockSubject(tx, preservation.subject);
    const now = new Date();
    await tx.getRepository(LegalRequest).update({ id: preservation.id }, { releasedAt: now, updatedAt: now });
    Object.assign(preservation, { releasedAt: now, updatedAt: now });
    // After releasedAt is set: this preservation no longer counts as active, any other one still does.
    const released = await affected(tx, `UPDATE event SET legal_hold = false WHERE subject = $1 AND legal_hold AND NOT ${activePreservation('$1')}`, [preservation.subject]);
    const stillHeld = released === 0 && (await tx.query(`SELECT ${activePreservation('$1')} AS held`, [preservation.subject]))[0].held === true;
    await this.store.note(
      tx,
      preservation,
      { actor: SYSTEM_ACTOR, action: LegalAction.RELEASED, reason: `release ${release.id} approved`, details: { release_request_id: release.id, released_events: released, ...(stillHeld ? { still_held_by: 'another active preservation' } : {}) } },
      AuditAction.LegalRelease,
    );
    return { fulfilled: true, details: { released_request_id: preservation.id, released_events: released, ...(stillHeld ? { still_held: true } : {}) } };
  }

  /** Events just stored about a subject under an active preservation are held too, in the same transaction. */
  private async holdNewEvents(tx: EntityManager, events: StoredEvent[]): Promise<void> {
    const subjects = [...new Set(events.map((e) => e.subject))];
    const held = (await tx.query(
      `SELECT DISTINCT r.subject FROM legal_request r WHERE r.subject = ANY($1::varchar[]) AND r.kind = 'PRESERVATION' AND r.status = 'FULFILLED' AND r.released_at IS NULL`,
      [subjects],
    )) as Array<{ subject: string }>;
    if (!held.length) return;
    const ids = events.filter((e) => held.some((h) => h.subject === e.subject)).map((e) => e.id);
    await tx.query(`UPDATE event SET legal_hold = true WHERE id = ANY($1::uuid[]) AND NOT legal_hold`, [ids]);
  }
}

/** The subject's transaction lock, the one scoring's update on write takes (see the race note above). */
async function lockSubject(tx: EntityManager, subject: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(${SUBJECT_LOCK_CLASS}, hashtext($1))`, [subject]);
}

/** Rows changed by an UPDATE (the pg driver answers [rows, count] through TypeORM). */
async function affected(tx: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const result = (await tx.query(sql, params)) as unknown;
  return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
}
